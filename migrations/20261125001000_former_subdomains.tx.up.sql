-- A provider's former subdomains: links sent before a rename (invitations, the code page, the widget)
-- still lead to it, by a redirect, until another provider takes the name.
CREATE TABLE former_subdomains (
    slug        TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    renamed_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX former_subdomains_provider_idx ON former_subdomains (provider_id);
