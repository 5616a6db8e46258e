-- The password policy of each tenant's user pool, as Cognito's
-- DescribeUserPool last reported it (app/svc/pwpolicy.c), so that the pages
-- and the API show and check the pool's own rules before Cognito sees a
-- password. NULL columns: not read yet, and Cognito alone decides.
-- password_policy_pool names the pool the copy was read from: a copy of
-- another pool's (the default tenant's COGNITO_USER_POOL_ID changed, a pool
-- id edited here) is not used. password_policy_tried_at is when a worker
-- last set out to read it, so that one worker of all pools reads it at a
-- time.
ALTER TABLE gatehouse.tenants
    ADD COLUMN password_min_length smallint
        CHECK (password_min_length BETWEEN 6 AND 99),
    ADD COLUMN password_require_upper boolean,
    ADD COLUMN password_require_lower boolean,
    ADD COLUMN password_require_digit boolean,
    ADD COLUMN password_require_symbol boolean,
    ADD COLUMN password_policy_pool text,
    ADD COLUMN password_policy_read_at timestamptz,
    ADD COLUMN password_policy_tried_at timestamptz,
    ADD CONSTRAINT tenants_password_policy_whole CHECK (
        (password_min_length, password_require_upper, password_require_lower,
         password_require_digit, password_require_symbol, password_policy_pool,
         password_policy_read_at) IS NULL
        OR (password_min_length, password_require_upper, password_require_lower,
            password_require_digit, password_require_symbol, password_policy_pool,
            password_policy_read_at) IS NOT NULL);
