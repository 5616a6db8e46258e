-- gatehouse core schema: tenants, browser sessions, migration bookkeeping.
-- Applied by migrate_run in one transaction together with its
-- schema_migrations row; every name is schema-qualified because workers run
-- with an empty search_path.

CREATE SCHEMA IF NOT EXISTS gatehouse;

-- One row per tenant. Cognito identifiers stay NULL until provisioning (or,
-- for 'default', the COGNITO_* settings) fills them in; provision_step records
-- how far a resumable `tenant create` got.
CREATE TABLE gatehouse.tenants (
    id                bigserial PRIMARY KEY,
    slug              text NOT NULL UNIQUE
                      CHECK (slug = 'default'
                             OR slug ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$'),
    name              text NOT NULL,
    status            text NOT NULL DEFAULT 'provisioning'
                      CHECK (status IN ('active', 'disabled', 'provisioning')),
    region            text,
    -- Two tenants sharing a pool would accept each other's tokens.
    user_pool_id      text UNIQUE,
    client_id         text,
    client_secret_enc bytea,          -- AES-256-GCM, key from SESSION_KEY
    admin_email       text,
    -- Rendered into a style attribute: only #rrggbb is accepted.
    brand_color       text CHECK (brand_color ~ '^#[0-9a-fA-F]{6}$'),
    logo_url          text,
    provision_step    text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A signed-in browser. The cookie holds 256 random bits; only their SHA-256
-- is stored, so a copy of this table does not let anyone in.
CREATE TABLE gatehouse.sessions (
    id_hash             bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    tenant_id           bigint NOT NULL
                        REFERENCES gatehouse.tenants (id) ON DELETE CASCADE,
    user_sub            text NOT NULL,
    email               text NOT NULL,
    groups              text[] NOT NULL DEFAULT '{}',
    tier                text NOT NULL DEFAULT 'standard'
                        CHECK (tier IN ('standard', 'premium')),
    access_token        text,
    id_token            text,
    refresh_token_enc   bytea,        -- AES-256-GCM, key from SESSION_KEY
    access_expires_at   timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    idle_expires_at     timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    remember            boolean NOT NULL DEFAULT false,
    user_agent          text,
    client_addr         text          -- as nginx reports it (may be "unix:")
);

-- The expiry sweep deletes by either deadline.
CREATE INDEX sessions_idle_expires_idx ON gatehouse.sessions (idle_expires_at);
CREATE INDEX sessions_absolute_expires_idx
    ON gatehouse.sessions (absolute_expires_at);
-- Sign a user out everywhere, or refresh their tier, after an admin change.
CREATE INDEX sessions_user_idx ON gatehouse.sessions (tenant_id, user_sub);

-- One row per applied migration file; scope is 'core' or 'tenant:<slug>'.
CREATE TABLE gatehouse.schema_migrations (
    scope      text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, version)
);

-- The tenant that single-tenant use needs; its schema is t_default. Its pool
-- and client come from the COGNITO_* settings at start-up.
INSERT INTO gatehouse.tenants (slug, name, status)
VALUES ('default', 'Default', 'active')
ON CONFLICT (slug) DO NOTHING;
