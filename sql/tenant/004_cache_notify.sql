-- Changes to the users mirror and to the revocation list reach every
-- worker's cache of bearer-token answers (see core/004_cache_notify.sql).
-- A new user needs no eviction, but an insert may be an upsert's that
-- replaced a row, so inserts notify too.
CREATE TRIGGER users_cache_notify
    AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gatehouse.cache_notify();

CREATE TRIGGER revoked_tokens_cache_notify
    AFTER INSERT OR UPDATE OR DELETE ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse.cache_notify();
