-- When an emailed code (a sign-up confirmation code, a password-reset code)
-- was last sent to an email at this tenant, so that "send a new code" waits
-- CODE_RESEND_COOLDOWN_S between two (app/svc/resend.c decides,
-- app/store/codesends.c reads and writes). Every worker of every pool shares
-- these rows, so the wait holds wherever the next request lands.
-- key is an HMAC-SHA-256, under a key derived from SESSION_KEY, of the
-- purpose, the tenant and the lower-cased email: a copy of this table names
-- no one. A send is recorded whether or not the email has an account, so the
-- wait tells nothing about who is registered. Rows older than the wait are
-- deleted a few at a time as new sends are written.
CREATE TABLE code_sends (
    key     bytea PRIMARY KEY CHECK (octet_length(key) = 32),
    sent_at timestamptz NOT NULL
);

CREATE INDEX code_sends_sent_idx ON code_sends (sent_at);
