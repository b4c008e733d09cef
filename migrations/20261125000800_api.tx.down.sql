DROP TABLE webhook_deliveries;
--bun:split
DROP TABLE webhook_states;
--bun:split
DROP TABLE webhooks;
--bun:split
DROP TABLE api_tokens;
