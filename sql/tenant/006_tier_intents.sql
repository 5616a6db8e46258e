-- An admin's tier change is written here, 'pending', before Cognito is
-- asked, and settled after: 'done' in the same transaction as the users
-- mirror and the audit row, or 'abandoned' when Cognito kept the old tier.
-- A change whose Cognito call or transaction failed stays 'pending'; once
-- older than any request can run, `gatehouse users sync` asks Cognito and
-- either completes it (mirror + audit row) or abandons it (audit row), so
-- Cognito and the mirror never end up apart without a record.
CREATE TABLE tier_intents (
    id               bigserial PRIMARY KEY,
    user_sub         text NOT NULL,
    username         text NOT NULL,    -- the Cognito user name, for AdminGetUser
    user_email       text NOT NULL,
    old_tier         text NOT NULL CHECK (old_tier IN ('standard', 'premium')),
    new_tier         text NOT NULL CHECK (new_tier IN ('standard', 'premium')),
    changed_by_sub   text NOT NULL,
    changed_by_email text,
    request_id       text,
    client_addr      text,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'done', 'abandoned')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    settled_at       timestamptz
);

CREATE INDEX tier_intents_pending_idx ON tier_intents (created_at) WHERE state = 'pending';
CREATE INDEX tier_intents_user_idx ON tier_intents (user_sub, id);

-- The audit row of a settled intent names it, and says how it was settled
-- when that was not the admin's own request ('completed by sync',
-- 'abandoned by sync: ...'); NULL for the rows of before.
ALTER TABLE tier_changes ADD COLUMN intent_id bigint;
ALTER TABLE tier_changes ADD COLUMN note text;
