-- Failed password sign-ins, counted so that guessing is slowed to a crawl
-- (app/svc/throttle.c decides, app/store/lockout.c reads and writes). Every
-- worker of every pool shares these rows, so a lock holds wherever the next
-- guess lands.
--   kind 'account': one email at this tenant, whether or not it has an
--                   account (an unknown email is counted and locked the same
--                   way, so a lock tells nothing about who is registered);
--   kind 'address': one client address (an IPv6 /64) at this tenant.
-- key is an HMAC-SHA-256, under a key derived from SESSION_KEY, of the kind,
-- the tenant and the lower-cased email or the address: a copy of this table
-- names no one. failures counts the failures since the count last started
-- over (after a quiet period, or an account's correct password);
-- locked_until, when later than now, refuses every sign-in of the key
-- without asking Cognito. Rows untouched for the quiet period are deleted a
-- few at a time as new failures are written.
CREATE TABLE login_failures (
    key          bytea PRIMARY KEY CHECK (octet_length(key) = 32),
    kind         text NOT NULL CHECK (kind IN ('account', 'address')),
    failures     integer NOT NULL CHECK (failures > 0),
    last_failure timestamptz NOT NULL,
    locked_until timestamptz
);

CREATE INDEX login_failures_last_idx ON login_failures (last_failure);
