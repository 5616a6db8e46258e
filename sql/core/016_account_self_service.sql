-- Account self-service (issue 14): what "Your devices" shows of an API
-- sign-in, and when a browser session last proved its password.
--
-- api_signins get the User-Agent and the address of the login that made
-- them, as sessions have had since 001, so that a person can tell their
-- sign-ins apart. Rows made before this migration have neither: the page
-- says "unknown".
--
-- sessions.reauth_at is when the session's user last entered their password
-- again for a sensitive step (changing the email, deleting the account):
-- such a step needs it to be recent (REAUTH_FRESH_S). It belongs to one
-- session: a stolen cookie of another device does not inherit it.
ALTER TABLE gatehouse.api_signins
    ADD COLUMN user_agent  text,
    ADD COLUMN client_addr text;

ALTER TABLE gatehouse.sessions
    ADD COLUMN reauth_at timestamptz;
