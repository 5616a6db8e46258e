/* SPDX-License-Identifier: MIT */
/* limits: every size and count limit of gatehouse, in one place.
 *
 * Each limit is checked where the input arrives and exceeding it is answered
 * with a clean 4xx (or a clear error for operators), never an assert. nginx
 * enforces the outer ones too, but a worker never trusts nginx alone. */
#ifndef GH_LIMITS_H
#define GH_LIMITS_H

/* ---- requests ---------------------------------------------------------- */
#define REQ_BODY_MAX (64 * 1024)        /* form or JSON body, bytes: else 413 */
#define REQ_PATH_MAX 2048               /* decoded path, bytes: else 414 */
#define REQ_QUERY_MAX 4096              /* raw query string, bytes: else 414 */
#define REQ_PARAMS_MAX 64               /* fields in one form or query: else 400 */
#define REQ_PARAM_NAME_MAX 128          /* one field name, bytes: else 400 */
#define REQ_PARAM_VALUE_MAX (16 * 1024) /* one field value, bytes: else 400 */
#define REQ_COOKIE_HEADER_MAX 8192      /* the whole Cookie header: else 400 */
#define REQ_COOKIES_MAX 32              /* cookies kept from one header */
#define REQ_JSON_DEPTH_MAX 16           /* nesting of a JSON body: else 400 */

/* ---- logs ---------------------------------------------------------------- */
#define LOG_VALUE_MAX 300 /* bytes of one quoted value (an email, an error) in a log line */

/* ---- memory ------------------------------------------------------------ */
#define ARENA_CHUNK_SIZE (32 * 1024) /* first chunk of a request's arena */

/* ---- templates --------------------------------------------------------- */
#define TMPL_SOURCE_MAX (1024 * 1024) /* one template file, bytes */
#define TMPL_NESTING_MAX 64           /* open sections/blocks while compiling */
#define TMPL_PARTIAL_DEPTH_MAX 32     /* partial/parent expansion while rendering */
#define TMPL_NAME_MAX 128             /* a tag's name, bytes */

/* ---- sessions (app/store/sessions.c) ----------------------------------- */
#define SESSION_IDLE_S (30 * 60)                     /* idle timeout */
#define SESSION_REMEMBER_IDLE_S (30L * 24 * 60 * 60) /* idle, remember me */
#define SESSION_ABSOLUTE_S (12 * 60 * 60)            /* absolute lifetime */
#define SESSION_REMEMBER_S (30L * 24 * 60 * 60)      /* absolute, remember me */
#define SESSION_TOUCH_S 60     /* last_seen is written at most this often */
#define BEARER_CACHE_S 60      /* a bearer token's check is cached this long */
#define SESSION_GROUPS_MAX 100 /* Cognito groups kept per session, and read from a token */
#define SESSION_FIELD_MAX (16 * 1024) /* one token or profile field, bytes */
#define DEVICES_MAX 100 /* sessions and API sign-ins listed on "Your devices" */
#define DEVICE_HANDLE_LEN 32 /* hex characters naming a device in a form or URL */
#define REAUTH_FRESH_S (5 * 60) /* a password proven this recently allows sensitive steps */

/* ---- failed sign-ins (app/svc/throttle.c, app/store/lockout.c) ---------
 * Wrong passwords are counted per account (tenant and email, known or not)
 * and per client address. The first failures are free; from the last free
 * one on, each failure locks for THROTTLE_LOCK_FIRST_S doubled per further
 * failure, up to THROTTLE_LOCK_MAX_S (as Cognito's own lockout grows). A
 * count is forgotten after THROTTLE_RESET_S without failures, and an
 * account's on a correct password. The reset period is far longer than the
 * longest lock, so someone who waits out each lock stays at the longest one
 * (4 guesses an hour) instead of starting over with free failures. */
#define THROTTLE_ACCOUNT_FREE 5        /* failures per account before its first lock */
#define THROTTLE_ADDRESS_FREE 100      /* per address: many people may share one;
                                        * GATEHOUSE_ADDRESS_FAILURES changes it */
#define THROTTLE_ADDRESS_FREE_MAX 1000000 /* the most that setting takes */
#define THROTTLE_LOCK_FIRST_S 60       /* the first lock */
#define THROTTLE_LOCK_MAX_S (15 * 60)  /* the longest lock */
#define THROTTLE_RESET_S (12 * 60 * 60) /* quiet time after which a count starts over */
#define LOCKOUT_SWEEP_ROWS 100         /* stale rows a failure deletes at most */

/* ---- emailed codes (app/svc/resend.c, app/store/codesends.c) ----------
 * How long Cognito keeps a code usable (its own fixed rules: a sign-up
 * confirmation code 24 hours, a password-reset code 1 hour), told to people
 * in words; and the wait the server enforces between two codes sent to one
 * email for one purpose, so "send a new code" cannot flood an inbox. */
#define CODE_CONFIRM_LIFETIME_S (24 * 60 * 60)
#define CODE_RESET_LIFETIME_S (60 * 60)
#define CODE_RESEND_COOLDOWN_S 60  /* between two codes to one email, one purpose */
#define CODE_SENDS_SWEEP_ROWS 100  /* stale rows a send deletes at most */

/* ---- tenant colours (app/svc/contrast.c) --------------------------------
 * A tenant's colour fills buttons with white text and colours links on the
 * light background (#ffffff), in both schemes: it must reach WCAG AA's
 * ratio for normal text against white. On the dark background (Bootstrap's
 * #212529) links use a tint of it that reaches the same ratio. */
#define CONTRAST_MIN 4.5
#define CONTRAST_LIGHT_BG "#ffffff"
#define CONTRAST_DARK_BG "#212529"
#define CONTRAST_TINT_STEPS 20 /* tints tried towards white, 5% each */

/* ---- what people type (app/svc/input.c) ------------------------------ */
#define INPUT_PASSWORD_MAX 256   /* bytes: Cognito's longest password (characters) */
#define INPUT_PASSWORD_RULE_MAX 256 /* bytes of a sentence that states a password policy */
#define INPUT_EMAIL_MAX 254      /* bytes: RFC 5321's path limit */
#define INPUT_NAME_MAX 100       /* bytes of a person's or a tenant's name */
#define INPUT_ATTRIBUTE_MAX 100  /* bytes of a profile attribute (company...) */
#define INPUT_CODE_DIGITS 6      /* an emailed confirmation or reset code */
#define INPUT_FIELD_ID_MAX 64    /* bytes of a form control's id ("f-" and the field's name) */
#define CHALLENGE_SESSION_MAX 4096 /* bytes of Cognito's challenge session */
/* ---- TOTP MFA (app/svc/mfa.c) ------------------------------------------- */
/* A sealed MFA challenge lives as long as Cognito's challenge session does
 * (three minutes): past it the code page starts over at the password. */
#define MFA_CHALLENGE_TTL_S 180
#define MFA_CHALLENGE_SEALED_MAX 8192 /* bytes of a sealed challenge, base64url */
#define MFA_DEVICE_NAME_MAX 64        /* bytes of the name a user gives an authenticator */
#define MFA_SECRET_MAX 128            /* bytes of a TOTP secret (base32) */
#define MFA_URI_MAX 1024              /* bytes of an otpauth:// URI */
#define MFA_CODE_DIGITS 6             /* a TOTP code (RFC 6238, Cognito's length) */

/* ---- pools' password policies (app/svc/pwpolicy.c, app/svc/provision.c) -- */
/* A new pool's shortest password: NIST SP 800-63B and OWASP ASVS 2.1.1 ask
 * for at least 12 characters where a password is the only factor. */
#define POOL_PASSWORD_MIN_LENGTH 12
#define POOL_PASSWORD_LENGTH_LOW 6   /* the range Cognito allows a pool's */
#define POOL_PASSWORD_LENGTH_HIGH 99 /* MinimumLength */
/* A tenant's policy is read again from Cognito when the copy kept with its
 * record is older than this (a change made in the console shows within it;
 * `gatehouse tenant refresh` shows it at once)... */
#define PASSWORD_POLICY_MAX_AGE_S (60 * 60)
/* ...by one worker of every pool at a time, and, when Cognito does not
 * answer, tried again after this long. */
#define PASSWORD_POLICY_RETRY_S 60

/* A first admin's made-up temporary password (tenant create --admin-no-email):
 * "Gh-" + hex of the random bytes + "-Aa1!". */
#define TEMP_PASSWORD_RANDOM_BYTES 16
#define TEMP_PASSWORD_LEN (3 + 2 * TEMP_PASSWORD_RANDOM_BYTES + 5)

/* ---- tokens ------------------------------------------------------------- */
#define ISSUER_MAX 512 /* bytes of a tenant's token issuer or JWKS URL, filled in */
/* COGNITO_ISSUER and COGNITO_JWKS_URL are templates with {region} and {pool}
 * (app/core/config.c). A template is at most POOL_URL_TEMPLATE_MAX bytes, and
 * check-config makes sure it fills in to less than ISSUER_MAX bytes for any
 * region and pool id of at most these lengths, which the filling-in refuses
 * to exceed (app/aws/jwt.c), so a template that passes fits every tenant. */
#define POOL_URL_TEMPLATE_MAX 256
#define POOL_ID_MAX 55           /* characters of a Cognito user pool id (Cognito's own limit) */
#define REGION_NAME_MAX 32       /* characters of an AWS region name (the longest has 14) */
#define REFRESH_TOKEN_MAX 8192   /* bytes of a refresh token, opened or sent */
#define ACCESS_EARLY_REFRESH_S 60 /* a session's access token is refreshed this long before expiry */
#define EXPIRES_IN_DEFAULT_S 3600 /* an access token's life when Cognito does not say */
/* An API sign-in's row lives this long after its last login or refresh
 * (Cognito's default refresh-token validity); a later refresh signs in again. */
#define API_SIGNIN_IDLE_S (30L * 24 * 60 * 60)

/* ---- files (app/svc/filekey.c, app/api/s3files.c) ---------------------- */
#define FILES_URL_TTL_S (15 * 60)                   /* presigned URLs live this long */
#define FILES_UPLOAD_MAX (5LL * 1024 * 1024 * 1024) /* S3's limit for one PUT */
#define FILES_FILENAME_MAX 255                      /* bytes of the name a user gives */
#define FILES_CONTENT_TYPE_MAX 127                  /* RFC 6838 name lengths */

/* ---- tenants (app/store/tenants.c) ---------------------------------------- */
/* Tenant records a worker process keeps for GATEHOUSE_TENANT_CACHE_TTL: well
 * above the 1,000 tenants of a large installation, so that pages across all
 * of them are served from the cache. A record costs its used bytes (about
 * 300 of its 1.7 KB: the rest is unused text) and about 100 of bookkeeping,
 * so even a full cache stays under 1 MB a process. Past this many tenants
 * in use within the TTL, the least recently read give way (CLOCK). */
#define TENANT_CACHE_MAX 2048

/* ---- PostgreSQL (app/store) ---------------------------------------------- */
#define NUM_TEXT_MAX 24 /* a 64-bit integer in decimal, sign and NUL */

/* ---- tier changes (app/svc/tierchange.c) ------------------------------- */
/* A pending tier change younger than this may still be in its admin's
 * request (a Cognito call takes at most HTTP_TOTAL_TIMEOUT_MS, the request
 * GATEHOUSE_REQUEST_TIMEOUT): `users sync` leaves it alone. */
#define TIER_INTENT_SETTLE_S 60
#define TIER_INTENT_BATCH 100 /* pending changes read per statement by the sync */

/* ---- upgrade requests and the audit page (issue 15) --------------------- */
#define UPGRADE_NOTE_MAX 500    /* bytes of a user's note asking for Premium */
#define UPGRADE_REASON_MAX 500  /* bytes of an admin's reason for a decline */
/* A user's last upgrade request (on /account) and a tenant's pending count
 * (the admin badge) are kept pool-wide this long: every change in the pool
 * evicts them at once, so this bounds only a change made by another host. */
#define UPGRADES_CACHE_S 2
/* A tenant's sync status on the user list, kept pool-wide: every change of
 * a run's state evicts it, so this bounds the progress counts only. */
#define SYNCS_CACHE_S 1
#define UPGRADE_LIST_MAX 50     /* pending requests on one page of /admin/requests */
#define AUDIT_PER_PAGE 50       /* admin actions on one page of /admin/audit */
#define AUDIT_CSV_BATCH 1000    /* admin actions read per statement for the CSV */
#define AUDIT_CSV_ROWS_MAX 50000 /* rows of one CSV download (logged when reached) */
#define AUDIT_FILTER_MAX 254    /* bytes of an actor or target email typed as a filter */
/* ---- an admin's actions on a user (app/svc/adminuser.c) ----------------- */
/* Pages of the admin group (ListUsersInGroup, 60 members each at most)
 * read to find another enabled admin before the last one is demoted; a
 * group larger than this is answered "cannot tell now", never guessed. */
#define ADMIN_GROUP_PAGES_MAX 20
/* Bytes of the users list's query a user page carries back (?back=). */
#define ADMIN_LIST_QUERY_MAX 512
/* ---- the users sync run for an admin (app/svc/syncjob.c) --------------- */
#define SYNC_POLL_MS 1000     /* a worker's sync thread looks at the queue this often */
#define SYNC_STALE_S 60       /* a run whose heartbeat is older has lost its thread */
#define SYNC_ATTEMPTS_MAX 3   /* claims of one run before it is failed */

/* ---- the admin's user list (app/pages/admin_users.c) ------------------- */
#define USERLIST_PER_PAGE 25     /* rows on one page */
#define USERLIST_COUNT_TTL_S 10  /* a filter's total, summed or counted, is kept this long */
#define USERLIST_KEY_MAX 512     /* bytes of a sort key in a page link */

/* ---- outside services -------------------------------------------------- */
#define COGNITO_RESPONSE_MAX (256 * 1024) /* bytes read from one Cognito reply */
#define HTTP_CONNECT_TIMEOUT_MS 2000      /* libcurl connect timeout */
/* Connections a worker thread keeps open for reuse: one, to Cognito's
 * endpoint (real Cognito serves its JWKS from the same host); a call
 * elsewhere closes it rather than hoarding a connection per host per thread. */
#define HTTP_KEPT_CONNECTIONS 1
#define HTTP_TOTAL_TIMEOUT_MS 5000        /* libcurl whole-call timeout */
#define COGNITO_RETRY_AFTER_S "30"        /* Retry-After told when Cognito throttles us */
#define COGNITO_DOWN_RETRY_AFTER_S "30"   /* Retry-After told when Cognito fails or is unreachable */

/* ---- JWT verification (app/aws/jwt.c) ---------------------------------- */
#define JWT_TOKEN_MAX (16 * 1024)     /* one compact JWS token, bytes */
#define JWKS_RESPONSE_MAX (64 * 1024) /* bytes read from one JWKS reply */
#define JWKS_KEYS_MAX 16              /* usable keys kept per issuer */
#define JWT_CLOCK_SKEW_S 60           /* leeway on exp and iat, seconds */
#define JWT_LIFETIME_MAX_S (24 * 60 * 60) /* Cognito's longest access or id token life */
#define JWKS_REFETCH_MIN_S 60         /* unknown kid: at most one refetch per issuer per this */

/* ---- invitations, import, export, bulk changes (svc/invite, pages/admin_*) -- */
/* A CSV pasted into the import form: one form field, so at most
 * REQ_PARAM_VALUE_MAX bytes; each row costs a Cognito call or three, so an
 * import's rows are few enough to finish well inside one request. */
#define IMPORT_CSV_MAX REQ_PARAM_VALUE_MAX
#define IMPORT_ROWS_MAX 100
/* Users one bulk tier change may name: a page of the list (60). The form's
 * fields (these, the tier, the CSRF token) stay under REQ_PARAMS_MAX. */
#define BULK_TIER_ROWS_MAX 60
#define USERS_CSV_BATCH 1000     /* mirror rows read per statement by the CSV export */
#define USERS_CSV_ROWS_MAX 50000 /* rows of one CSV export (a larger list: filter it) */

#endif
