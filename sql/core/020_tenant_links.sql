-- The pages a tenant's sign-up form links its terms of service and privacy
-- policy to (an https:// URL or a path on this site; NULL: no link, the
-- words stay plain). Set with `gatehouse tenant set --slug S --terms-url U
-- --privacy-url U` ("" clears); app/server/tenantcmd.c checks the form.
ALTER TABLE gatehouse.tenants
    ADD COLUMN terms_url text CHECK (terms_url ~ '^(https://[^/]|/[^/\\])'),
    ADD COLUMN privacy_url text CHECK (privacy_url ~ '^(https://[^/]|/[^/\\])');
