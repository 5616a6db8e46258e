/* SPDX-License-Identifier: MIT */
/* reauth: proofs of a recent password (see reauth.h).
 *
 * A proof is base64url(time, 8 bytes big-endian || HMAC-SHA-256(key,
 * tenant "\n" session-id digest "\n" time)), the key being an HMAC of
 * SESSION_KEY with KEY_LABEL. The password is checked by signing in at
 * Cognito (svc/signin), throttled and counted like the login form, so the
 * page cannot be used to guess passwords faster than the login. A user
 * with TOTP on is answered with the TOTP challenge: the password was right,
 * which is all this step asks. */
#include "svc/reauth.h"

#include <stdint.h>
#include <string.h>

#include "core/config.h"
#include "core/seal.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/signin.h"
#include "svc/svc.h"

#define KEY_LABEL "gatehouse reauth proof v1"
#define STAMP_BYTES 8
#define PROOF_BYTES (STAMP_BYTES + SEAL_SHA256_BYTES)

_Static_assert(SEAL_B64URL_LEN(PROOF_BYTES) <= REAUTH_PROOF_MAX, "REAUTH_PROOF_MAX too small");

/* mac computes the proof's MAC of stamp for s at t; false without SESSION_KEY. */
static bool mac(const struct tenant *t, const struct sess_session *s,
                const unsigned char stamp[STAMP_BYTES], unsigned char out[SEAL_SHA256_BYTES])
{
    const struct config *cfg = svc_config();
    unsigned char key[SEAL_SHA256_BYTES];
    unsigned char msg[TENANT_SLUG_MAX + 2 + SEAL_SHA256_BYTES + STAMP_BYTES];
    size_t slug = strlen(t->slug), n = 0;
    if (!cfg || !cfg->has_session_key || slug > TENANT_SLUG_MAX)
        return false;
    memcpy(msg, t->slug, slug);
    n = slug;
    msg[n++] = '\n';
    memcpy(msg + n, s->id_hash, SEAL_SHA256_BYTES);
    n += SEAL_SHA256_BYTES;
    msg[n++] = '\n';
    memcpy(msg + n, stamp, STAMP_BYTES);
    n += STAMP_BYTES;
    seal_hmac_sha256(cfg->session_key, CONFIG_SESSION_KEY_BYTES, KEY_LABEL, strlen(KEY_LABEL),
                     key);
    seal_hmac_sha256(key, sizeof(key), msg, n, out);
    seal_wipe(key, sizeof(key));
    return true;
}

static void put_stamp(unsigned char stamp[STAMP_BYTES], time_t at)
{
    uint64_t v = (uint64_t)at;
    for (int i = STAMP_BYTES - 1; i >= 0; i--, v >>= 8)
        stamp[i] = (unsigned char)(v & 0xff);
}

enum reauth_outcome reauth_password(const struct tenant *t, const char *email,
                                    const char *password, const char *client_addr,
                                    const char *request_id, long long *retry_after_s)
{
    struct signin in;
    enum reauth_outcome rc;
    *retry_after_s = 0;
    signin_password(t, email, password, client_addr, request_id, &in);
    switch (in.outcome) {
    case SIGNIN_TOKENS:
    case SIGNIN_MFA:
    case SIGNIN_NEW_PASSWORD:
    case SIGNIN_OTHER_CHALLENGE:
        rc = REAUTH_OK;
        break;
    case SIGNIN_LOCKED:
        *retry_after_s = in.retry_after_s;
        rc = REAUTH_LOCKED;
        break;
    case SIGNIN_REFUSED:
        rc = cogerr_transient(in.result.err, COGERR_CTX_LOGIN) ? REAUTH_UNAVAILABLE
                                                                : REAUTH_WRONG;
        break;
    case SIGNIN_UNCONFIRMED:
    case SIGNIN_UNAVAILABLE:
    default:
        rc = REAUTH_UNAVAILABLE;
        break;
    }
    signin_free(&in);
    return rc;
}

enum reauth_outcome reauth_prove(const struct tenant *t, const struct sess_session *s,
                                 const char *password, const char *client_addr,
                                 const char *request_id, char proof[REAUTH_PROOF_MAX + 1],
                                 long long *retry_after_s)
{
    unsigned char raw[PROOF_BYTES];
    proof[0] = '\0';
    enum reauth_outcome rc =
        reauth_password(t, s->email, password, client_addr, request_id, retry_after_s);
    if (rc != REAUTH_OK)
        return rc;
    put_stamp(raw, time(NULL));
    return mac(t, s, raw, raw + STAMP_BYTES) &&
                   seal_b64url_encode(raw, sizeof(raw), proof, REAUTH_PROOF_MAX + 1)
               ? REAUTH_OK
               : REAUTH_UNAVAILABLE;
}

bool reauth_fresh(const struct tenant *t, const struct sess_session *s, const char *proof,
                  time_t now)
{
    unsigned char raw[PROOF_BYTES], want[SEAL_SHA256_BYTES];
    size_t n = 0;
    if (s->created_at <= now && now - s->created_at < REAUTH_WINDOW_S)
        return true;
    if (!proof || strlen(proof) != SEAL_B64URL_LEN(PROOF_BYTES) ||
        !seal_b64url_decode(proof, strlen(proof), raw, sizeof(raw), &n) || n != sizeof(raw) ||
        !mac(t, s, raw, want) || !seal_equal(want, raw + STAMP_BYTES, sizeof(want)))
        return false;
    uint64_t at = 0;
    for (int i = 0; i < STAMP_BYTES; i++)
        at = at << 8 | raw[i];
    return (time_t)at <= now && now - (time_t)at < REAUTH_WINDOW_S;
}
