-- The id and access tokens of a session are sealed like its refresh token
-- (AES-256-GCM under SESSION_KEY, the session id hash as associated data):
-- a copy of this table authenticates nowhere. Existing sessions lose the
-- clear copies and are marked due for a refresh, which stores sealed ones
-- on their next signed-in page.
ALTER TABLE gatehouse.sessions
    ADD COLUMN id_token_enc bytea,
    ADD COLUMN access_token_enc bytea;
UPDATE gatehouse.sessions SET access_expires_at = least(access_expires_at, now());
ALTER TABLE gatehouse.sessions
    DROP COLUMN id_token,
    DROP COLUMN access_token;
