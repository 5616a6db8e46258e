-- Every action an administrator takes in this tenant (issue 15): on a user
-- (disable, enable, reset the password, sign out everywhere, reset MFA,
-- confirm by hand, resend the invitation, edit, grant or revoke the admin
-- group, delete, invite, change the tier) or on the tenant (a users sync).
-- The audit page reads this one table; tier_changes keeps, beside it, the
-- tier history and its intents. Rows are only added and outlive the users
-- they name. action is a short snake_case name (store/adminlog.h lists
-- them); before_value and after_value say what changed, in words a person
-- reads ("standard", "premium", "enabled", "disabled"), NULL when the action
-- has no such pair.
CREATE TABLE admin_actions (
    id           bigserial PRIMARY KEY,
    action       text NOT NULL CHECK (action ~ '^[a-z][a-z_]{0,62}$'),
    target_sub   text,                 -- NULL: the action is on the tenant
    target_email text,
    before_value text,
    after_value  text,
    actor_sub    text NOT NULL,        -- the admin's sub, or 'system'
    actor_email  text,
    detail       text,                 -- a note (a reason, a row of an import)
    request_id   text,
    client_addr  text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_actions_target_idx ON admin_actions (target_sub, id DESC);
CREATE INDEX admin_actions_actor_idx ON admin_actions (actor_sub, id DESC);
CREATE INDEX admin_actions_action_idx ON admin_actions (action, id DESC);

-- The tier changes made before this table existed, so the audit page starts
-- complete.
INSERT INTO admin_actions (action, target_sub, target_email, before_value, after_value,
                           actor_sub, actor_email, detail, request_id, client_addr, at)
SELECT 'tier_changed', user_sub, user_email, old_tier, new_tier,
       changed_by_sub, changed_by_email, note, request_id, client_addr, changed_at
  FROM tier_changes ORDER BY id;
