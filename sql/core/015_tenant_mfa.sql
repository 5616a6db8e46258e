-- Two-step verification (TOTP) at a tenant: 'off' (not offered), 'optional'
-- (the default: each user may turn it on at /account/security) or 'required'
-- (a user without it enrols at log-in before any other page). The tenant's
-- pool is kept in step (SetUserPoolMfaConfig: OFF, or OPTIONAL with software
-- tokens enabled). Set with `gatehouse tenant set --slug S --mfa off|optional|required`.
ALTER TABLE gatehouse.tenants
    ADD COLUMN mfa text NOT NULL DEFAULT 'optional'
        CHECK (mfa IN ('off', 'optional', 'required'));
