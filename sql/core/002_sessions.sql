-- Sessions carry what the pages show and what guards their forms: the
-- user's display name, and a per-session secret from which the CSRF token of
-- every form is derived (HMAC under SESSION_KEY, so the secret itself never
-- leaves the server).
--
-- A session made before this migration has no secret and could not pass a
-- CSRF check; rather than invent one, such sessions are ended (their users
-- sign in again). Sessions are short-lived, so this costs little.
DELETE FROM gatehouse.sessions;

ALTER TABLE gatehouse.sessions
    ADD COLUMN name        text,
    ADD COLUMN csrf_secret bytea NOT NULL
                           CHECK (octet_length(csrf_secret) = 32);
