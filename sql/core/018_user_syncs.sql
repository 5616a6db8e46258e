-- The admin's user list (issue 15): trigram search, and "Sync now".
--
-- pg_trgm lets the list find a piece of an email or a name ("son@ex",
-- "ann") through a GIN index instead of reading every row of a million.
-- It is a trusted extension (PostgreSQL 13+): the database's owner, the
-- role gatehouse migrates as, may create it. It lives in the shared schema
-- so that every tenant's index can name its operator class as
-- gatehouse.gin_trgm_ops whatever the search_path.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA gatehouse;

-- One row per run of the users sync of a tenant: asked for by an admin
-- ("Sync now": state 'queued', claimed by a worker's sync thread) or run
-- by an operator (`gatehouse users sync`: 'running' from the start). The
-- rows stay as the record of when the mirror was last brought in step.
--
-- heartbeat_at moves at every page of the listing; a 'running' row whose
-- heartbeat is older than SYNC_STALE_S belongs to a worker that died and
-- may be claimed again (the sync is safe to run twice). At most one row
-- per tenant is queued or running: the partial unique index refuses a
-- second, so two admins pressing the button start one sync.
CREATE TABLE gatehouse.user_syncs (
    id            bigserial PRIMARY KEY,
    tenant_slug   text NOT NULL REFERENCES gatehouse.tenants (slug) ON DELETE CASCADE,
    state         text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    requested_by  text,               -- the admin's email; NULL: the command line
    request_id    text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    heartbeat_at  timestamptz,
    finished_at   timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    seen          bigint NOT NULL DEFAULT 0, -- users listed so far
    added         bigint NOT NULL DEFAULT 0,
    changed       bigint NOT NULL DEFAULT 0,
    deleted       bigint NOT NULL DEFAULT 0,
    error         text
);
CREATE UNIQUE INDEX user_syncs_one_active_idx ON gatehouse.user_syncs (tenant_slug)
    WHERE state IN ('queued', 'running');
CREATE INDEX user_syncs_tenant_idx ON gatehouse.user_syncs (tenant_slug, id DESC);
CREATE INDEX user_syncs_waiting_idx ON gatehouse.user_syncs (id)
    WHERE state IN ('queued', 'running');

-- The overview's statistics of each tenant, counted by one worker for all
-- of them (store/users.c users_statistics_shared): at a million users a
-- count reads every row for a second or more, so it is done at most once
-- per USERS_STATS_SHARED_TTL_S per tenant, by whichever worker first finds
-- the figures old and wins counting_until (a lease: a worker that dies
-- while counting lets another count after it). figures are the numbers of
-- struct users_stats as text, in its order.
CREATE TABLE gatehouse.user_stats (
    tenant_slug    text PRIMARY KEY REFERENCES gatehouse.tenants (slug) ON DELETE CASCADE,
    figures        text,
    counted_at     timestamptz,
    counting_until timestamptz
);

-- The user list's totals of each filter (without a search), counted for
-- all workers at most once per USERLIST_COUNT_TTL_S (store/users.c
-- users_count_shared), as the statistics above: a worker that starts
-- afresh (recycled after GATEHOUSE_MAX_REQUESTS) finds the total here
-- rather than counting 750,000 rows again. filter is the list's query
-- string of its filters; searches are not kept (they are many, and their
-- counts come from the trigram indexes).
CREATE TABLE gatehouse.user_counts (
    tenant_slug    text NOT NULL REFERENCES gatehouse.tenants (slug) ON DELETE CASCADE,
    filter         text NOT NULL,
    total          bigint,
    counted_at     timestamptz,
    counting_until timestamptz,
    PRIMARY KEY (tenant_slug, filter)
);
