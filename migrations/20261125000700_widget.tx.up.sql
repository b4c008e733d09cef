-- The website widget: the origins (scheme://host[:port]) allowed to frame a
-- provider's code-entry widget, one per line; '' lets no website frame it.
ALTER TABLE providers ADD COLUMN widget_origins TEXT NOT NULL DEFAULT '';
--bun:split
-- Whether the widget also offers the portal's "Get help" button.
ALTER TABLE providers ADD COLUMN widget_help BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- The hash of the token the widget leads to (derived from the session id
-- with the server secret, like the link and code tokens), set when a code is
-- first typed into the widget: the session then records that the customer
-- came through the provider's website.
ALTER TABLE support_sessions ADD COLUMN widget_token_hash TEXT NOT NULL DEFAULT '';
--bun:split
CREATE UNIQUE INDEX support_sessions_widget_token_hash_uidx ON support_sessions (widget_token_hash) WHERE widget_token_hash <> '';
