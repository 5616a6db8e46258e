-- Account self-service (issue 14).
--
-- A person may delete their own account. Their mirror row stays, marked
-- with deleted_at (the admin panel and the audit still know who they were),
-- but their email is free again: a new sign-up with it is a new Cognito
-- user with a new sub. So the email is unique only among live rows.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_email_live_idx ON users (email) WHERE deleted_at IS NULL;

-- What a person did to their own account: the email changed, the account
-- deleted. Rows are only added and outlive the users they name; they hold
-- no personal data beyond the sub and the email (for an email change, the
-- old and the new address).
CREATE TABLE account_events (
    id          bigserial PRIMARY KEY,
    user_sub    text NOT NULL,
    user_email  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('email_change_requested', 'email_changed',
                                               'account_deleted', 'profile_updated',
                                               'devices_signed_out')),
    detail      text,              -- the new email of an email change; else NULL
    request_id  text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_user_idx ON account_events (user_sub, at);
