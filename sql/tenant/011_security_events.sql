-- A person's own security events, shown to them on /account/security as
-- "Account activity" (app/store/secevents.c): sign-ins, failed sign-ins
-- (a wrong password or a wrong two-step code of a known account), password
-- changes, two-step verification turned on or off, sign-outs. Rows are only
-- added; a user's newest few are read by sub. client_addr is as nginx
-- reports it. Nothing secret is kept: no password, code or token.
CREATE TABLE security_events (
    id          bigserial PRIMARY KEY,
    user_sub    text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('sign_in', 'sign_in_failed', 'mfa_failed',
                                              'password_changed', 'mfa_on', 'mfa_off',
                                              'signed_out', 'email_changed',
                                              'sessions_ended')),
    via         text NOT NULL DEFAULT 'web' CHECK (via IN ('web', 'api')),
    client_addr text,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX security_events_user_idx ON security_events (user_sub, at DESC, id DESC);
