-- API sign-ins: one row per refresh token that POST /api/v1/auth/login
-- handed out, so that the server, not only the client, knows which sign-ins
-- are alive. A refresh through the API is refused unless its row is here; a
-- logout (with or without the refresh token in its body) deletes the row of
-- the sign-in its access token came from, found by access_jti (the jti of
-- the last access token the sign-in was given through gatehouse); a password
-- reset or change deletes all of the user's rows.
--
-- Like sessions, the key is the SHA-256 of the secret (here the refresh
-- token itself), and the refresh token is kept only sealed (AES-256-GCM
-- under SESSION_KEY, the id hash as associated data), so that a logout that
-- names no refresh token can still revoke it at Cognito, while a copy of
-- this table authenticates nowhere. username is the Cognito user name the
-- sign-in was made for (a secret-holding app client's refresh needs it).
--
-- Refresh tokens handed out before this table existed have no row: their
-- clients sign in again once.
CREATE TABLE gatehouse.api_signins (
    id_hash           bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    tenant_id         bigint NOT NULL
                      REFERENCES gatehouse.tenants (id) ON DELETE CASCADE,
    user_sub          text NOT NULL,
    username          text NOT NULL,
    refresh_token_enc bytea NOT NULL,
    access_jti        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_used_at      timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL
);

-- A user's sign-ins: ended together after a password change or reset, and
-- the one an access token came from at logout.
CREATE INDEX api_signins_user_idx ON gatehouse.api_signins (tenant_id, user_sub);
CREATE INDEX api_signins_expires_idx ON gatehouse.api_signins (expires_at);
