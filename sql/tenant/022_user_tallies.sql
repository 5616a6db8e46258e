-- Live tallies of the users mirror (issue 15): the admin overview's figures
-- and the user list's totals without a search, read from a few dozen rows
-- instead of counted over the mirror. At a million users a count read every
-- row for half a second of both cores; it was therefore done at most once a
-- minute for the whole pool and shown as "counted N ago". Kept by triggers,
-- the figures are exact at every moment and cost nothing to read. The
-- shared counts this replaces (gatehouse.user_stats and user_counts, core
-- 018 and 021) are no longer read; they stay until the release after this
-- one, for the version still running during an upgrade (docs/SCALING.md,
-- "Upgrades across hosts").
--
-- user_tallies: users per combination of what the list filters on (deleted
-- or not, tier, status as coalesce(status, ''), TOTP, enabled). At most a
-- few dozen rows; a row whose count fell to 0 stays.
-- user_signups: users per UTC day of created_at (deleted ones too: they did
-- sign up that day).
CREATE TABLE user_tallies (
    deleted boolean NOT NULL,
    tier    text NOT NULL,
    status  text NOT NULL,
    mfa     boolean NOT NULL,
    enabled boolean NOT NULL,
    users   bigint NOT NULL,
    PRIMARY KEY (deleted, tier, status, mfa, enabled)
);
CREATE TABLE user_signups (
    day   date PRIMARY KEY,
    users bigint NOT NULL
);

-- Each function adds to the groups its rows join and takes from those they
-- leave. A statement takes the groups' row locks in key order, whichever
-- way it moves rows, so two such statements cannot deadlock; a group's
-- row is locked until the transaction ends, which serialises sign-ups of
-- one tenant for the moment of their commit only (each is one short
-- statement). The functions run with this schema as their search_path,
-- whatever the caller's (the pool's connections have none outside a
-- tenant's statement).

-- Rows inserted or deleted by one statement (its transition table, named
-- alike for both): added to their groups, or taken from them.
CREATE FUNCTION user_tallies_insert_or_delete() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    IF NOT EXISTS (SELECT FROM changed) THEN
        RETURN NULL; -- an upsert that only updated, a delete that found none
    END IF;
    INSERT INTO user_tallies AS t
    SELECT deleted_at IS NOT NULL, tier, coalesce(status, ''), mfa, enabled, sign * count(*)
      FROM changed GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (deleted, tier, status, mfa, enabled) DO UPDATE SET users = t.users + excluded.users;
    INSERT INTO user_signups AS s
    SELECT (created_at AT TIME ZONE 'UTC')::date, sign * count(*) FROM changed GROUP BY 1 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET users = s.users + excluded.users;
    RETURN NULL;
END $$;

-- Rows updated by one statement: each leaves its old group and joins its
-- new one, summed per group (most updates, a sign-in's last_login_at or a
-- sync that finds a row as it was, sum to nothing and lock no tally row).
CREATE FUNCTION user_tallies_update() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO user_tallies AS t
    SELECT deleted, tier, status, mfa, enabled, sum(n)
      FROM (SELECT deleted_at IS NOT NULL, tier, coalesce(status, ''), mfa, enabled, 1
              FROM after_rows
            UNION ALL
            SELECT deleted_at IS NOT NULL, tier, coalesce(status, ''), mfa, enabled, -1
              FROM before_rows) AS v (deleted, tier, status, mfa, enabled, n)
     GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (deleted, tier, status, mfa, enabled) DO UPDATE SET users = t.users + excluded.users;
    INSERT INTO user_signups AS s
    SELECT day, sum(n)
      FROM (SELECT (created_at AT TIME ZONE 'UTC')::date, 1 FROM after_rows
            UNION ALL
            SELECT (created_at AT TIME ZONE 'UTC')::date, -1 FROM before_rows) AS v (day, n)
     GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET users = s.users + excluded.users;
    RETURN NULL;
END $$;

CREATE FUNCTION user_tallies_truncate() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM user_tallies;
    DELETE FROM user_signups;
    RETURN NULL;
END $$;

-- Every write is tallied once per statement (a sync's batch of sixty, or
-- a bulk insert of thousands, is one): the statement's rows are summed per
-- group and the groups taken in key order.
CREATE TRIGGER users_tally_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION user_tallies_insert_or_delete();
CREATE TRIGGER users_tally_delete AFTER DELETE ON users REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION user_tallies_insert_or_delete();
CREATE TRIGGER users_tally_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_tallies_update();
CREATE TRIGGER users_tally_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION user_tallies_truncate();

-- The users already there. CREATE TRIGGER has locked users against writes
-- until this transaction ends, so none is missed or counted twice.
INSERT INTO user_tallies
SELECT deleted_at IS NOT NULL, tier, coalesce(status, ''), mfa, enabled, count(*)
  FROM users GROUP BY 1, 2, 3, 4, 5;
INSERT INTO user_signups
SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM users GROUP BY 1;
