-- Whether a tenant's sign-up and confirmation answers may tell that an email
-- has an account. 'hide' (the default): sign-up answers the same for a new
-- and a taken email (re-sending the code to an unconfirmed owner), and a
-- code that cannot be used reads the same for a known, an unknown and a
-- confirmed email. 'reveal': the older answers (409 "already exists"; "not
-- correct" apart from "cannot be used"), for tenants that prefer them.
-- Set with `gatehouse tenant set --slug S --enumeration hide|reveal`.
ALTER TABLE gatehouse.tenants
    ADD COLUMN account_enumeration text NOT NULL DEFAULT 'hide'
        CHECK (account_enumeration IN ('hide', 'reveal'));
