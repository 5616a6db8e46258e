-- Tables of one tenant, created in schema t_<slug>. Names are unqualified:
-- migrate sets search_path to the tenant's schema (and only it) first.

-- Mirror of the tenant's Cognito user pool, for search, statistics and tiers.
CREATE TABLE users (
    sub        text PRIMARY KEY,
    email      text NOT NULL UNIQUE,   -- stored lower-cased by the users module
    name       text,
    tier       text NOT NULL DEFAULT 'standard'
               CHECK (tier IN ('standard', 'premium')),
    status     text,                   -- Cognito UserStatus, e.g. CONFIRMED
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    synced_at  timestamptz             -- last refresh from Cognito
);

-- Admin search by email prefix (email LIKE 'abc%') whatever the collation.
CREATE INDEX users_email_prefix_idx ON users (email text_pattern_ops);
CREATE INDEX users_tier_idx ON users (tier);

-- Audit of tier changes. No foreign key to users: the record outlives them.
CREATE TABLE tier_changes (
    id               bigserial PRIMARY KEY,
    user_sub         text NOT NULL,
    user_email       text NOT NULL,
    old_tier         text,             -- NULL when it was not known
    new_tier         text NOT NULL CHECK (new_tier IN ('standard', 'premium')),
    changed_by_sub   text NOT NULL,
    changed_by_email text,
    request_id       text,
    client_addr      text,
    changed_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tier_changes_changed_at_idx ON tier_changes (changed_at DESC);
CREATE INDEX tier_changes_user_idx ON tier_changes (user_sub, changed_at DESC);

-- Objects a user stored in S3 (under the tenant's key prefix). Size and type
-- may be unknown while an upload URL is outstanding.
CREATE TABLE files (
    id           bigserial PRIMARY KEY,
    owner_sub    text NOT NULL,
    s3_key       text NOT NULL UNIQUE,
    filename     text NOT NULL,
    content_type text,
    size_bytes   bigint CHECK (size_bytes >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX files_owner_idx ON files (owner_sub, created_at DESC);
