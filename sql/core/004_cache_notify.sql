-- Workers keep live sessions and bearer-token answers in a pool-wide cache
-- (app/core/shcache.c). Their own changes evict at once; these triggers tell
-- every pool about changes made anywhere else (another pool on the same
-- database, a CLI command, an operator's SQL), through NOTIFY on channel
-- gatehouse_cache, which each worker's listener (app/store/cachesync.c)
-- turns into evictions. Payloads:
--   s:<hex id_hash>   a session changed or ended
--   u:<slug>/<sub>    a row of tenant <slug>'s users mirror changed
--   r:<slug>          tenant <slug>'s revocation list changed
-- A notification is sent when the transaction commits, and identical ones in
-- one transaction are sent once.
CREATE FUNCTION gatehouse.cache_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'sessions' THEN
        PERFORM pg_notify('gatehouse_cache', 's:' || encode(OLD.id_hash, 'hex'));
    ELSIF TG_TABLE_NAME = 'users' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gatehouse_cache',
                              'u:' || substr(TG_TABLE_SCHEMA, 3) || '/' || OLD.sub);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gatehouse_cache',
                              'u:' || substr(TG_TABLE_SCHEMA, 3) || '/' || NEW.sub);
        END IF;
    ELSE
        PERFORM pg_notify('gatehouse_cache', 'r:' || substr(TG_TABLE_SCHEMA, 3));
    END IF;
    RETURN NULL;
END
$$;

-- The idle slide (last_seen_at, idle_expires_at moving later) is left out:
-- it is written once a minute per session, and a cached copy of an older
-- slide only expires sooner, which sends the next page to the database. A
-- deadline moved earlier, or any other column changed, is reported.
CREATE TRIGGER sessions_cache_notify_update
    AFTER UPDATE ON gatehouse.sessions
    FOR EACH ROW
    WHEN (NEW.idle_expires_at < OLD.idle_expires_at
          OR (OLD.tenant_id, OLD.user_sub, OLD.email, OLD.name, OLD.groups, OLD.tier,
              OLD.attributes, OLD.access_expires_at, OLD.csrf_secret, OLD.remember,
              OLD.absolute_expires_at)
             IS DISTINCT FROM
             (NEW.tenant_id, NEW.user_sub, NEW.email, NEW.name, NEW.groups, NEW.tier,
              NEW.attributes, NEW.access_expires_at, NEW.csrf_secret, NEW.remember,
              NEW.absolute_expires_at))
    EXECUTE FUNCTION gatehouse.cache_notify();

CREATE TRIGGER sessions_cache_notify_delete
    AFTER DELETE ON gatehouse.sessions
    FOR EACH ROW EXECUTE FUNCTION gatehouse.cache_notify();
