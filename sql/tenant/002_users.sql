-- When the user last signed in through gatehouse (NULL: never, or before
-- this column existed). Set by users_touch_login.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
