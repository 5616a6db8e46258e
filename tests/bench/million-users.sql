-- The users mirror of one tenant at a million users, for `make bench`
-- (scripts/bench-setup.sh runs it once, with search_path set to the
-- tenant's schema). Deterministic: row g always gets the same values.
--
-- The spread is meant to look like a real pool: subs are UUIDs (so the
-- tie-breaker is in random order); emails and names come from 40 first and
-- 40 last names over a few domains, numbered to stay unique; a quarter are
-- premium; most are confirmed, with a tail of the other statuses; 2% are
-- disabled, 1 in 6 has TOTP on, 1 in 1000 deleted their account; sign-ups
-- are spread over three years and sign-ins over the months after, with one
-- in nine never signed in.
INSERT INTO users (sub, email, name, tier, status, enabled, mfa, created_at, updated_at,
                   synced_at, last_login_at, deleted_at)
SELECT md5('bench-user-' || g)::uuid::text,
       f || '.' || l || '.' || g || '@' || d,
       initcap(f) || ' ' || initcap(l),
       CASE WHEN g % 4 = 0 THEN 'premium' ELSE 'standard' END,
       CASE WHEN g % 1000 = 0 THEN 'DELETED' WHEN g % 23 = 0 THEN 'UNCONFIRMED'
            WHEN g % 97 = 0 THEN 'FORCE_CHANGE_PASSWORD' WHEN g % 211 = 0 THEN 'RESET_REQUIRED'
            ELSE 'CONFIRMED' END,
       g % 1000 <> 0 AND g % 53 <> 0,
       g % 6 = 0,
       c, c, c,
       CASE WHEN g % 9 = 0 THEN NULL
            ELSE least(now(), c + ((g::bigint * 7919) % (200 * 86400)) * interval '1 second') END,
       CASE WHEN g % 1000 = 0 THEN c + interval '30 days' END
FROM (SELECT g,
             (ARRAY['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'iris',
                    'jack', 'kate', 'liam', 'mia', 'noah', 'olivia', 'paul', 'quinn', 'rosa',
                    'sam', 'tara', 'umar', 'vera', 'will', 'xena', 'yusuf', 'zoe', 'amir',
                    'bea', 'carlos', 'dina', 'eli', 'fatima', 'gus', 'hana', 'ivan', 'jun',
                    'kofi', 'lena', 'marco', 'nora'])[1 + g % 40] AS f,
             (ARRAY['smith', 'jones', 'garcia', 'muller', 'rossi', 'dubois', 'silva', 'kim',
                    'nguyen', 'patel', 'cohen', 'novak', 'larsen', 'okafor', 'tanaka',
                    'kowalski', 'ivanova', 'haddad', 'oconnor', 'schmidt', 'moreau', 'costa',
                    'yilmaz', 'khan', 'chen', 'wong', 'sato', 'berg', 'fischer', 'lopez',
                    'martin', 'bernard', 'weber', 'meyer', 'wagner', 'becker', 'hoffmann',
                    'schulz', 'koch', 'richter'])[1 + (g / 40) % 40] AS l,
             (ARRAY['gmail.com', 'outlook.com', 'example.org', 'company.example',
                    'mail.example.net'])[1 + (g / 1600) % 5] AS d,
             now() - ((g::bigint * 104729) % (3 * 365 * 86400)) * interval '1 second'
                   - (g % 1000) * interval '1 millisecond' AS c
      FROM generate_series(1, 1000000) g) s
ON CONFLICT DO NOTHING;
ANALYZE users;
