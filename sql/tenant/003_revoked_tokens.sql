-- Access tokens that POST /api/v1/auth/logout revoked. Bearer calls verify
-- tokens locally (signature, issuer, expiry), which Cognito's revocation
-- cannot reach, so each bearer call also looks its token up here: by its
-- jti, its origin_jti (shared by every access token refreshed from one
-- sign-in) and its user's sub, in one primary-key probe. A matching row
-- refuses the token when the token's iat is before the row's issued_before:
--   kind 'token': id is a jti or origin_jti; issued_before is the largest
--                 bigint, so every token carrying that id is refused;
--   kind 'user':  id is the user's sub; every token of the user issued
--                 before issued_before (the sign-out) is refused, as
--                 Cognito's GlobalSignOut does.
-- expires_at is when no token the row can match is still valid (they have
-- all expired, which verification refuses anyway); expired rows are deleted
-- whenever a new one is written. jtis, origin_jtis and subs are all
-- Cognito's random UUIDs, so one key serves the three.
CREATE TABLE revoked_tokens (
    id            text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('token', 'user')),
    issued_before bigint NOT NULL,  -- epoch seconds
    expires_at    timestamptz NOT NULL
);

CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);
