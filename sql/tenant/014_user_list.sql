-- The admin's user list at a million users (issue 15).
--
-- mfa: whether the user has TOTP on, as gatehouse last learnt it (the
-- enrolment and its removal, the security page's look at GetUser).
-- ListUsers does not tell it, so `users sync` leaves it as it is.
ALTER TABLE users ADD COLUMN mfa boolean NOT NULL DEFAULT false;

-- Keyset pages: each sort is an index on (key, sub), the sub breaking ties,
-- over the live rows (deleted users are shown only when asked for, and then
-- are few). Keys that may be NULL are sorted as coalesce(...) so that a row
-- comparison (key, sub) > ($1, $2) means what it says (never signed in
-- sorts as the epoch, before any sign-in); users.c writes the very same
-- expressions.
CREATE INDEX users_list_email_idx ON users (email, sub) WHERE deleted_at IS NULL;
CREATE INDEX users_list_name_idx ON users ((coalesce(name, '')), sub) WHERE deleted_at IS NULL;
CREATE INDEX users_list_tier_idx ON users (tier, sub) WHERE deleted_at IS NULL;
CREATE INDEX users_list_status_idx ON users ((coalesce(status, '')), sub)
    WHERE deleted_at IS NULL;
CREATE INDEX users_list_created_idx ON users (created_at, sub) WHERE deleted_at IS NULL;
CREATE INDEX users_list_login_idx ON users ((coalesce(last_login_at, 'epoch'::timestamptz)), sub)
    WHERE deleted_at IS NULL;
CREATE INDEX users_list_deleted_idx ON users (deleted_at) WHERE deleted_at IS NOT NULL;

-- Search for a piece of an email or a name, in any case.
CREATE INDEX users_email_trgm_idx ON users USING gin (email gatehouse.gin_trgm_ops);
CREATE INDEX users_name_trgm_idx ON users USING gin (name gatehouse.gin_trgm_ops);
