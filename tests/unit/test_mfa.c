/* SPDX-License-Identifier: MIT */
/* test_mfa: what of two-step verification needs no service — the sealed
 * sign-in challenge (svc/mfa.c), the session's mark of a passed code, the
 * code's shape and the QR code's SVG (pages/qrsvg.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "pages/qrsvg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/mfa.h"
#include "svc/svc.h"
#include "test.h"

static struct config cfg;
static struct tenant acme, other;
static struct arena a;

static void setup(unsigned char fill)
{
    memset(cfg.session_key, fill, sizeof(cfg.session_key));
    cfg.has_session_key = true;
    svc_init_worker(&cfg);
}

static void test_challenge(void)
{
    struct mfa_challenge c = {.session = "cognito-session", .email = "ada@example.com",
                              .next = "/files", .remember = true}, got;
    const char *sealed = NULL;
    time_t now = time(NULL);
    test_cond("challenge: sealed", mfa_challenge_seal(&acme, &c, &a, &sealed) && sealed);
    test_cond("challenge: expires in MFA_CHALLENGE_TTL_S",
              c.expires_at >= now + MFA_CHALLENGE_TTL_S && c.expires_at <= now + MFA_CHALLENGE_TTL_S + 2);
    test_cond("challenge: nothing readable in it",
              !strstr(sealed, "ada") && !strstr(sealed, "cognito") && !strstr(sealed, "files"));
    test_cond("challenge: opens with everything it held",
              mfa_challenge_open(&acme, sealed, now, &a, &got) &&
                  !strcmp(got.session, "cognito-session") && !strcmp(got.email, "ada@example.com") &&
                  got.next && !strcmp(got.next, "/files") && got.remember &&
                  got.expires_at == c.expires_at);
    test_cond("challenge: not at another tenant", !mfa_challenge_open(&other, sealed, now, &a, &got));
    test_cond("challenge: not once expired",
              !mfa_challenge_open(&acme, sealed, c.expires_at, &a, &got) &&
                  mfa_challenge_open(&acme, sealed, c.expires_at - 1, &a, &got));
    char *tampered = arena_strdup(&a, sealed);
    size_t mid = strlen(tampered) / 2;
    tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
    test_cond("challenge: an altered one does not open", !mfa_challenge_open(&acme, tampered, now, &a, &got));
    test_cond("challenge: garbage, empty and NULL do not open",
              !mfa_challenge_open(&acme, "not base64url!", now, &a, &got) &&
                  !mfa_challenge_open(&acme, "", now, &a, &got) &&
                  !mfa_challenge_open(&acme, NULL, now, &a, &got));
    setup(0x22);
    test_cond("challenge: not under another SESSION_KEY", !mfa_challenge_open(&acme, sealed, now, &a, &got));
    setup(0x11);
    struct mfa_challenge plain = {.session = "s", .email = "e@example.com"};
    test_cond("challenge: without next or remember",
              mfa_challenge_seal(&acme, &plain, &a, &sealed) &&
                  mfa_challenge_open(&acme, sealed, now, &a, &got) && !got.next && !got.remember);
}

static void test_mark(void)
{
    struct sess_session s1 = {0}, s2 = {0};
    memset(s1.id_hash, 1, sizeof(s1.id_hash));
    memset(s2.id_hash, 2, sizeof(s2.id_hash));
    char mark[MFA_MARK_MAX + 1];
    test_cond("mark: made", mfa_session_mark(&acme, &s1, mark) && mark[0]);
    test_cond("mark: its own session's", mfa_session_marked(&acme, &s1, mark));
    test_cond("mark: not another session's", !mfa_session_marked(&acme, &s2, mark));
    test_cond("mark: not another tenant's", !mfa_session_marked(&other, &s1, mark));
    test_cond("mark: none, or a made-up one, is no mark",
              !mfa_session_marked(&acme, &s1, NULL) && !mfa_session_marked(&acme, &s1, "") &&
                  !mfa_session_marked(&acme, &s1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

static void test_code(void)
{
    test_cond("code: six digits", !mfa_check_code("012345"));
    test_cond("code: anything else is refused",
              mfa_check_code(NULL) && mfa_check_code("") && mfa_check_code("12345") &&
                  mfa_check_code("1234567") && mfa_check_code("12345a") &&
                  mfa_check_code(" 12345") && mfa_check_code("１２３４５６"));
}

static void test_qr(void)
{
    struct buf out;
    buf_init(&out);
    const char *uri = "otpauth://totp/acme:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=acme";
    test_cond("qr: drawn", qrsvg_draw(uri, "Key for <ada> & \"co\"", &out));
    const char *svg = buf_cstr(&out);
    test_cond("qr: an inline SVG image with its label escaped",
              !strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) &&
                  strstr(svg, "role=\"img\"") &&
                  strstr(svg, "aria-label=\"Key for &lt;ada&gt; &amp; &quot;co&quot;\"") &&
                  strstr(svg, "<path fill=\"#000\" d=\"M") && strstr(svg, "</svg>"));
    test_cond("qr: the secret is not in the markup", !strstr(svg, "JBSWY3DPEHPK3PXP"));
    buf_reset(&out);
    char big[8000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    test_cond("qr: too long for a QR code, or none, is refused",
              !qrsvg_draw(big, NULL, &out) && !qrsvg_draw(NULL, NULL, &out) && out.len == 0);
    buf_free(&out);
}

int main(void)
{
    arena_init(&a);
    snprintf(acme.slug, sizeof(acme.slug), "acme");
    snprintf(other.slug, sizeof(other.slug), "other");
    setup(0x11);
    test_challenge();
    test_mark();
    test_code();
    test_qr();
    arena_free(&a);
    return test_report();
}
