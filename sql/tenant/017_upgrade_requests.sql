-- Upgrade requests (issue 15): a standard user asks an administrator for
-- Premium, with an optional note; an administrator approves it (the tier
-- change) or declines it, with an optional reason the user reads. A request
-- on a user deleted since is closed. Rows are kept after the decision: the
-- user reads the last one on their account page.
CREATE TABLE upgrade_requests (
    id               bigserial PRIMARY KEY,
    user_sub         text NOT NULL,
    user_email       text NOT NULL,
    note             text,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'approved', 'declined', 'closed')),
    reason           text,             -- the administrator's words on a decline
    decided_by_sub   text,             -- NULL while pending
    decided_by_email text,
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
-- One pending request per user: a second ask meets this index.
CREATE UNIQUE INDEX upgrade_requests_pending_idx ON upgrade_requests (user_sub)
    WHERE state = 'pending';
-- The admins' list and the badge's count read only the pending rows.
CREATE INDEX upgrade_requests_open_idx ON upgrade_requests (id) WHERE state = 'pending';
-- A user's latest request, for their account page and the API.
CREATE INDEX upgrade_requests_user_idx ON upgrade_requests (user_sub, id DESC);

-- The audit page filters admin_actions by the actor's or the target's email
-- (typed in any case), besides their subs: a user deleted since, or whose
-- email changed, is still found under the address the row recorded.
CREATE INDEX admin_actions_actor_email_idx ON admin_actions (lower(actor_email), id DESC);
CREATE INDEX admin_actions_target_email_idx ON admin_actions (lower(target_email), id DESC);
