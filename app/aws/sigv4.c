/* SPDX-License-Identifier: MIT */
/* sigv4: AWS Signature Version 4 (see sigv4.h).
 *
 * One pipeline serves both uses: canonical URI, canonical query, canonical
 * headers and payload hash make the canonical request; its hash and the
 * credential scope make the string to sign; a key derived by the HMAC chain
 * (secret -> date -> region -> service -> "aws4_request") signs it. Header
 * mode turns the result into an Authorization header, query mode into
 * X-Amz-* parameters. S3 differs only in its path rule (SIGV4_S3_PATH: the
 * path is already encoded once and is signed verbatim, never normalised).
 * Ownership: inputs are borrowed; every string in struct sigv4_result is
 * malloc'd here and freed by sigv4_result_free, which accepts a zeroed or
 * half-filled result. Secrets and derived keys are wiped after use. The code
 * keeps no state, so any thread may call it at any time. */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/hex.h"
#include "core/xalloc.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_TERMINATOR "aws4_request"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN)
#define AMZ_DATE_LEN 16 /* YYYYMMDDTHHMMSSZ */
#define SCOPE_DATE_LEN 8 /* YYYYMMDD */
#define PRESIGN_ATTACHMENT_QUERY "response-content-disposition=attachment"
#define PRESIGN_EXPIRES_MAX (7L * 24 * 60 * 60) /* AWS refuses more than 7 days */
#define S3_KEY_MAX 1024 /* S3's own limit on an object key, bytes */
#define YEAR_MAX 9999   /* X-Amz-Date has four year digits */

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Hand the buffer's bytes to the caller as a malloc'd string; b is left empty. */
static char *buf_take(struct buf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    buf_init(b);
    return s;
}

/* ---- hashing ----------------------------------------------------------- */

static void to_hex(const unsigned char *bin, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_lower[bin[i] >> 4];
        out[2 * i + 1] = hex_lower[bin[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* sha256_hex writes the lowercase hex SHA-256 of data into out (65 bytes). */
static bool sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char md[SHA256_LEN];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHA256_LEN)
        return false;
    to_hex(md, SHA256_LEN, out);
    return true;
}

static bool hmac(const void *key, size_t keylen, const char *msg, size_t msglen,
                 unsigned char out[SHA256_LEN])
{
    unsigned int outlen = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out,
              &outlen))
        return false;
    return outlen == SHA256_LEN;
}

/* sign_string derives the signing key for (date, region, service) and writes
 * the hex HMAC of sts into sig. Every intermediate key is wiped. */
static bool sign_string(const char *secret, const char *date, const char *region,
                        const char *service, const char *sts, char sig[SHA256_HEX_LEN + 1])
{
    bool ok = false;
    size_t klen = strlen("AWS4") + strlen(secret);
    char *k_secret = xmalloc(klen + 1);
    unsigned char k_date[SHA256_LEN], k_region[SHA256_LEN], k_service[SHA256_LEN],
        k_signing[SHA256_LEN], mac[SHA256_LEN];

    snprintf(k_secret, klen + 1, "AWS4%s", secret);
    if (!hmac(k_secret, klen, date, strlen(date), k_date) ||
        !hmac(k_date, SHA256_LEN, region, strlen(region), k_region) ||
        !hmac(k_region, SHA256_LEN, service, strlen(service), k_service) ||
        !hmac(k_service, SHA256_LEN, SCOPE_TERMINATOR, strlen(SCOPE_TERMINATOR), k_signing) ||
        !hmac(k_signing, SHA256_LEN, sts, strlen(sts), mac))
        goto out;
    to_hex(mac, SHA256_LEN, sig);
    ok = true;
out:
    OPENSSL_cleanse(k_secret, klen);
    OPENSSL_cleanse(k_date, sizeof(k_date));
    OPENSSL_cleanse(k_region, sizeof(k_region));
    OPENSSL_cleanse(k_service, sizeof(k_service));
    OPENSSL_cleanse(k_signing, sizeof(k_signing));
    free(k_secret);
    return ok;
}

/* ---- URI encoding ------------------------------------------------------ */

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* uri_encode appends s[0..n) with every byte but the unreserved ones (and '/'
 * when keep_slash) written as %XX, upper-case hex, as SigV4 demands. */
static void uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            buf_putc(out, (char)c);
        } else {
            char esc[3] = {'%', hex_upper[c >> 4], hex_upper[c & 0xf]};
            buf_append(out, esc, sizeof(esc));
        }
    }
}

/* uri_decode appends s[0..n) with each valid %XX turned into its byte. A '%'
 * not followed by two hex digits stays literal (and is re-encoded as %25);
 * '+' is a plain plus here, as AWS reads queries. */
static void uri_decode(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
            (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
            buf_putc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            buf_putc(out, s[i]);
        }
    }
}

/* ---- canonical URI ----------------------------------------------------- */

/* normalized_path appends the path with dot segments removed and runs of '/'
 * collapsed (RFC 3986 section 5.2.4 plus AWS's slash rule), each segment
 * URI-encoded. A path ending in '/', "." or ".." keeps a trailing slash. */
static void normalized_path(struct buf *out, const char *path)
{
    size_t nseg_max = 1;
    for (const char *p = path; *p; p++)
        nseg_max += *p == '/';
    struct segment {
        const char *start;
        size_t len;
    } *segs = xmalloc(nseg_max * sizeof(*segs));
    size_t nseg = 0;
    bool trailing = path[0] != '\0' && path[strlen(path) - 1] == '/';

    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0)
            break; /* only slashes were left */
        trailing = *p == '/';
        if (len == 1 && start[0] == '.') {
            trailing = true;
        } else if (len == 2 && start[0] == '.' && start[1] == '.') {
            if (nseg > 0)
                nseg--;
            trailing = true;
        } else {
            segs[nseg].start = start;
            segs[nseg].len = len;
            nseg++;
        }
    }

    buf_putc(out, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i > 0)
            buf_putc(out, '/');
        uri_encode(out, segs[i].start, segs[i].len, false);
    }
    if (nseg > 0 && trailing)
        buf_putc(out, '/');
    free(segs);
}

static void canonical_uri(struct buf *out, const char *path, unsigned flags)
{
    if (flags & SIGV4_S3_PATH)
        buf_puts(out, path); /* S3: encoded once by the caller, never normalised */
    else if (flags & SIGV4_KEEP_PATH)
        uri_encode(out, path, strlen(path), true);
    else
        normalized_path(out, path);
}

/* ---- canonical query --------------------------------------------------- */

struct param {
    char *name, *value; /* both URI-encoded */
    bool auth;          /* an X-Amz-* parameter this module added */
};

struct params {
    struct param *v;
    size_t n, cap;
};

static void params_add(struct params *ps, const char *name, size_t nlen, const char *value,
                       size_t vlen, bool auth)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 8;
        ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
    }
    struct buf b;
    buf_init(&b);
    uri_encode(&b, name, nlen, false);
    ps->v[ps->n].name = buf_take(&b);
    uri_encode(&b, value, vlen, false);
    ps->v[ps->n].value = buf_take(&b);
    ps->v[ps->n].auth = auth;
    ps->n++;
}

static void add_auth_param(struct params *ps, const char *name, const char *value)
{
    params_add(ps, name, strlen(name), value, strlen(value), true);
}

static void params_free(struct params *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->v[i].name);
        free(ps->v[i].value);
    }
    free(ps->v);
    ps->v = NULL;
    ps->n = ps->cap = 0;
}

static const char *const reserved_params[] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",     "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};

/* parse_query splits a raw query on '&' into decoded name/value pairs and
 * stores them re-encoded, so "%E1%88%B4" and the raw UTF-8 sign the same.
 * A field without '=' has an empty value; empty fields are skipped. In query
 * mode a field this module sets itself is refused. */
static bool parse_query(struct params *ps, const char *query, bool query_mode, char *err,
                        size_t errlen)
{
    struct buf name, value;
    bool ok = false;
    buf_init(&name);
    buf_init(&value);
    const char *p = query ? query : "";
    while (*p) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *name_end = eq ? eq : end;
        if (end > p) {
            buf_reset(&name);
            buf_reset(&value);
            uri_decode(&name, p, (size_t)(name_end - p));
            if (eq)
                uri_decode(&value, eq + 1, (size_t)(end - eq - 1));
            if (query_mode) {
                for (size_t i = 0; i < sizeof(reserved_params) / sizeof(*reserved_params); i++) {
                    if (strcasecmp(buf_cstr(&name), reserved_params[i]) == 0) {
                        set_err(err, errlen, "query already has %s", reserved_params[i]);
                        goto out;
                    }
                }
            }
            params_add(ps, buf_cstr(&name), name.len, buf_cstr(&value), value.len, false);
        }
        p = *end ? end + 1 : end;
    }
    ok = true;
out:
    buf_free(&name);
    buf_free(&value);
    return ok;
}

static int param_cmp(const void *a, const void *b)
{
    const struct param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* join_params writes the sorted pairs as name=value&...; with auth_only, just
 * the parameters this module added (what the caller appends to its query). */
static void join_params(struct buf *out, struct params *ps, bool auth_only)
{
    if (ps->n > 1) /* qsort must not see the NULL array of an empty list */
        qsort(ps->v, ps->n, sizeof(*ps->v), param_cmp);
    bool first = true;
    for (size_t i = 0; i < ps->n; i++) {
        if (auth_only && !ps->v[i].auth)
            continue;
        buf_printf(out, "%s%s=%s", first ? "" : "&", ps->v[i].name, ps->v[i].value);
        first = false;
    }
}

/* ---- canonical headers ------------------------------------------------- */

struct chead {
    char *name;   /* lower-case */
    char *value;  /* trimmed, inner whitespace runs collapsed to one space */
    size_t order; /* position in the request: keeps duplicates in order */
};

struct cheads {
    struct chead *v;
    size_t n, cap;
};

static bool is_tchar(unsigned char c)
{
    return is_unreserved(c) || (c && strchr("!#$%&'*+^`|", c));
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool valid_header_value(const char *v)
{
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false; /* a CR or LF here would split the header on the wire */
    }
    return true;
}

static void cheads_add(struct cheads *hs, const char *name, const char *value)
{
    if (hs->n == hs->cap) {
        hs->cap = hs->cap ? 2 * hs->cap : 8;
        hs->v = xrealloc(hs->v, hs->cap * sizeof(*hs->v));
    }
    struct chead *h = &hs->v[hs->n];
    h->name = xstrdup(name);
    for (char *c = h->name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');

    struct buf b;
    buf_init(&b);
    const char *v = value;
    while (is_blank(*v))
        v++;
    while (*v) {
        if (is_blank(*v)) {
            while (is_blank(*v))
                v++;
            if (*v)
                buf_putc(&b, ' ');
        } else {
            buf_putc(&b, *v++);
        }
    }
    h->value = buf_take(&b);
    h->order = hs->n;
    hs->n++;
}

static void cheads_free(struct cheads *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        free(hs->v[i].name);
        free(hs->v[i].value);
    }
    free(hs->v);
    hs->v = NULL;
    hs->n = hs->cap = 0;
}

static int chead_cmp(const void *a, const void *b)
{
    const struct chead *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* canonical_headers sorts the headers and writes "name:v1,v2\n" per distinct
 * name into out and "name;name" into signed_list. */
static void canonical_headers(struct cheads *hs, struct buf *out, struct buf *signed_list)
{
    if (hs->n > 1)
        qsort(hs->v, hs->n, sizeof(*hs->v), chead_cmp);
    for (size_t i = 0; i < hs->n; i++) {
        bool same = i > 0 && strcmp(hs->v[i].name, hs->v[i - 1].name) == 0;
        if (same) {
            buf_printf(out, ",%s", hs->v[i].value);
            continue;
        }
        if (i > 0)
            buf_putc(out, '\n');
        buf_printf(out, "%s:%s", hs->v[i].name, hs->v[i].value);
        buf_printf(signed_list, "%s%s", i > 0 ? ";" : "", hs->v[i].name);
    }
    if (hs->n > 0)
        buf_putc(out, '\n');
}

/* ---- input checks ------------------------------------------------------ */

static bool nonempty(const char *s)
{
    return s && *s;
}

/* A scope part or key id must not contain what separates the pieces of the
 * Credential value ('/', ',', '=', blanks) nor anything unprintable. */
static bool valid_scope_part(const char *s)
{
    if (!nonempty(s))
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == '=' || c == ';')
            return false;
    }
    return true;
}

static bool valid_token(const char *s)
{
    if (!nonempty(s))
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

static const char *const signer_headers[] = {
    "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
};

static bool check_request(const struct sigv4_request *req, const struct sigv4_credentials *cred,
                          char *err, size_t errlen)
{
    if (!cred || !valid_scope_part(cred->access_key_id) || !nonempty(cred->secret_access_key)) {
        set_err(err, errlen, "missing or malformed access key id or secret");
        return false;
    }
    if (nonempty(cred->session_token) && !valid_header_value(cred->session_token)) {
        set_err(err, errlen, "session token has control characters");
        return false;
    }
    if (!valid_token(req->method)) {
        set_err(err, errlen, "missing or malformed method");
        return false;
    }
    if (!req->path || req->path[0] != '/') {
        set_err(err, errlen, "path must start with '/'");
        return false;
    }
    if (!valid_scope_part(req->region) || !valid_scope_part(req->service)) {
        set_err(err, errlen, "missing or malformed region or service");
        return false;
    }
    if (req->payload_hash && (!*req->payload_hash || !valid_header_value(req->payload_hash))) {
        set_err(err, errlen, "malformed payload hash");
        return false;
    }
    if (!req->payload && req->payload_len) {
        set_err(err, errlen, "payload length without payload");
        return false;
    }
    if ((req->flags & SIGV4_QUERY) && (req->expires < 1 || req->expires > PRESIGN_EXPIRES_MAX)) {
        set_err(err, errlen, "expiry must be 1 to %ld seconds", PRESIGN_EXPIRES_MAX);
        return false;
    }
    bool have_host = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct sigv4_header *h = &req->headers[i];
        if (!valid_token(h->name) || !h->value || !valid_header_value(h->value)) {
            set_err(err, errlen, "malformed header #%zu", i);
            return false;
        }
        for (size_t j = 0; j < sizeof(signer_headers) / sizeof(*signer_headers); j++) {
            if (strcasecmp(h->name, signer_headers[j]) == 0) {
                set_err(err, errlen, "header %s is set by the signer", signer_headers[j]);
                return false;
            }
        }
        have_host |= strcasecmp(h->name, "host") == 0;
    }
    if (!have_host) {
        set_err(err, errlen, "the Host header is required");
        return false;
    }
    return true;
}

static bool format_amz_date(time_t when, char out[AMZ_DATE_LEN + 1])
{
    struct tm tm;
    if (!gmtime_r(&when, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > YEAR_MAX)
        return false;
    return strftime(out, AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) == AMZ_DATE_LEN;
}

/* ---- signing ----------------------------------------------------------- */

static void add_result_header(struct sigv4_result *r, const char *name, const char *value)
{
    r->headers[r->n_headers].name = name;
    r->headers[r->n_headers].value = xstrdup(value);
    r->n_headers++;
}

/* sigv4_sign signs req with cred. In header mode (flags without SIGV4_QUERY)
 * it fills canonical_request, string_to_sign, signature, amz_date,
 * authorization and headers[] (X-Amz-Security-Token when a token is given,
 * X-Amz-Date, x-amz-content-sha256 with SIGV4_CONTENT_SHA256, Authorization:
 * send them all beside req's own headers). In query mode it fills query
 * instead of authorization and headers[]: the X-Amz-* parameters, sorted and
 * encoded, to append to req->query with '&' (or after '?' when it is empty).
 * Returns true on success. On failure it returns false with a reason in err
 * and out holds nothing. Either way the caller releases out with
 * sigv4_result_free; whatever out held before the call is not freed. */
bool sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred,
                struct sigv4_result *out, char *err, size_t errlen)
{
    bool ok = false;
    bool query_mode = req->flags & SIGV4_QUERY;
    bool has_token = cred && nonempty(cred->session_token);
    bool token_signed = has_token && !(req->flags & SIGV4_TOKEN_UNSIGNED);
    char payload_hash[SHA256_HEX_LEN + 1], sts_hash[SHA256_HEX_LEN + 1];
    char date[SCOPE_DATE_LEN + 1];
    struct cheads hs = {0};
    struct params ps = {0};
    struct buf scope, creq, sts, hdr_block, signed_list, tmp;

    memset(out, 0, sizeof(*out));
    buf_init(&scope);
    buf_init(&creq);
    buf_init(&sts);
    buf_init(&hdr_block);
    buf_init(&signed_list);
    buf_init(&tmp);

    if (!check_request(req, cred, err, errlen))
        goto out;
    if (!format_amz_date(req->when, out->amz_date)) {
        set_err(err, errlen, "timestamp out of range");
        goto out;
    }
    memcpy(date, out->amz_date, SCOPE_DATE_LEN);
    date[SCOPE_DATE_LEN] = '\0';
    buf_printf(&scope, "%s/%s/%s/%s", date, req->region, req->service, SCOPE_TERMINATOR);

    if (req->payload_hash) {
        if (strlen(req->payload_hash) >= sizeof(payload_hash)) {
            set_err(err, errlen, "payload hash too long");
            goto out;
        }
        snprintf(payload_hash, sizeof(payload_hash), "%s", req->payload_hash);
    } else if (!sha256_hex(req->payload ? req->payload : "", req->payload_len, payload_hash)) {
        set_err(err, errlen, "SHA-256 failed");
        goto out;
    }

    /* Headers: the caller's, plus in header mode the ones the signer sends. */
    for (size_t i = 0; i < req->n_headers; i++)
        cheads_add(&hs, req->headers[i].name, req->headers[i].value);
    if (!query_mode) {
        cheads_add(&hs, "x-amz-date", out->amz_date);
        if (token_signed)
            cheads_add(&hs, "x-amz-security-token", cred->session_token);
        if (req->flags & SIGV4_CONTENT_SHA256)
            cheads_add(&hs, "x-amz-content-sha256", payload_hash);
    }
    canonical_headers(&hs, &hdr_block, &signed_list);

    /* Query: the caller's, plus in query mode the signed X-Amz-* fields. */
    if (!parse_query(&ps, req->query, query_mode, err, errlen))
        goto out;
    if (query_mode) {
        buf_printf(&tmp, "%s/%s", cred->access_key_id, buf_cstr(&scope));
        add_auth_param(&ps, "X-Amz-Algorithm", ALGORITHM);
        add_auth_param(&ps, "X-Amz-Credential", buf_cstr(&tmp));
        add_auth_param(&ps, "X-Amz-Date", out->amz_date);
        buf_reset(&tmp);
        buf_printf(&tmp, "%ld", req->expires);
        add_auth_param(&ps, "X-Amz-Expires", buf_cstr(&tmp));
        add_auth_param(&ps, "X-Amz-SignedHeaders", buf_cstr(&signed_list));
        if (token_signed)
            add_auth_param(&ps, "X-Amz-Security-Token", cred->session_token);
    }

    buf_printf(&creq, "%s\n", req->method);
    canonical_uri(&creq, req->path, req->flags);
    buf_putc(&creq, '\n');
    join_params(&creq, &ps, false);
    buf_printf(&creq, "\n%s\n%s\n%s", buf_cstr(&hdr_block), buf_cstr(&signed_list),
               payload_hash);

    if (!sha256_hex(creq.data, creq.len, sts_hash)) {
        set_err(err, errlen, "SHA-256 failed");
        goto out;
    }
    buf_printf(&sts, "%s\n%s\n%s\n%s", ALGORITHM, out->amz_date, buf_cstr(&scope), sts_hash);
    if (!sign_string(cred->secret_access_key, date, req->region, req->service, buf_cstr(&sts),
                     out->signature)) {
        set_err(err, errlen, "HMAC-SHA256 failed");
        goto out;
    }

    if (query_mode) {
        if (has_token && !token_signed)
            add_auth_param(&ps, "X-Amz-Security-Token", cred->session_token);
        add_auth_param(&ps, "X-Amz-Signature", out->signature);
        buf_reset(&tmp);
        join_params(&tmp, &ps, true);
        out->query = buf_take(&tmp);
    } else {
        buf_reset(&tmp);
        buf_printf(&tmp, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", ALGORITHM,
                   cred->access_key_id, buf_cstr(&scope), buf_cstr(&signed_list),
                   out->signature);
        out->authorization = buf_take(&tmp);
        /* The order is the conventional one (the test suite's signed requests). */
        if (has_token)
            add_result_header(out, "X-Amz-Security-Token", cred->session_token);
        add_result_header(out, "X-Amz-Date", out->amz_date);
        if (req->flags & SIGV4_CONTENT_SHA256)
            add_result_header(out, "x-amz-content-sha256", payload_hash);
        add_result_header(out, "Authorization", out->authorization);
    }
    out->canonical_request = buf_take(&creq);
    out->string_to_sign = buf_take(&sts);
    ok = true;
out:
    if (!ok)
        sigv4_result_free(out);
    cheads_free(&hs);
    params_free(&ps);
    buf_free(&scope);
    buf_free(&creq);
    buf_free(&sts);
    buf_free(&hdr_block);
    buf_free(&signed_list);
    buf_free(&tmp);
    return ok;
}

/* ---- S3 presigned URLs ------------------------------------------------- */

struct base_url {
    const char *scheme;  /* "http" or "https" */
    struct buf host;     /* lower-case host[:port], default port dropped */
    struct buf path;     /* prefix such as "/bucket", no trailing '/' */
};

/* parse_base_url splits scheme://host[:port][/prefix]. The prefix (a path
 * style bucket) must be plain unreserved characters and '/', so it is the
 * same encoded or not. Userinfo, query and fragment are refused. */
static bool parse_base_url(const char *url, struct base_url *bu, char *err, size_t errlen)
{
    static const struct {
        const char *scheme, *prefix, *default_port;
    } schemes[] = {{"https", "https://", ":443"}, {"http", "http://", ":80"}};
    const char *p = NULL, *default_port = NULL;

    for (size_t i = 0; url && i < sizeof(schemes) / sizeof(*schemes); i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(url, schemes[i].prefix, n) == 0) {
            bu->scheme = schemes[i].scheme;
            default_port = schemes[i].default_port;
            p = url + n;
            break;
        }
    }
    if (!p) {
        set_err(err, errlen, "base URL must start with http:// or https://");
        return false;
    }
    size_t alen = strcspn(p, "/");
    if (alen == 0) {
        set_err(err, errlen, "base URL has no host");
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!is_unreserved(c) && c != ':' && c != '[' && c != ']') {
            set_err(err, errlen, "base URL host has a forbidden character");
            return false;
        }
        buf_putc(&bu->host, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    /* A browser leaves the default port out of Host; sign what it will send. */
    size_t dlen = strlen(default_port);
    if (bu->host.len > dlen && strcmp(bu->host.data + bu->host.len - dlen, default_port) == 0) {
        bu->host.len -= dlen;
        bu->host.data[bu->host.len] = '\0';
    }
    const char *path = p + alen;
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    for (size_t i = 0; i < plen; i++) {
        if (!is_unreserved((unsigned char)path[i]) && path[i] != '/') {
            set_err(err, errlen, "base URL path must be plain (e.g. /bucket)");
            return false;
        }
    }
    buf_append(&bu->path, path, plen);
    return true;
}

/* sigv4_presign_s3 makes a presigned S3 URL for p->method on p->key, valid
 * for p->expires seconds from p->when. The key is encoded segment by
 * segment, once, and appended to the base URL after '/'; the payload is
 * UNSIGNED-PAYLOAD; Host (and Content-Type and Content-Length when given)
 * are the signed headers, so an upload cannot be of another type or size;
 * with attachment, S3 is asked to answer a download as an attachment, so
 * no uploaded file is ever shown inline as a page of S3's origin.
 * Returns true and sets out->url (plus the intermediate pieces and
 * out->query) on success; false with a reason in err otherwise. The caller
 * releases out with sigv4_result_free in both cases. */
bool sigv4_presign_s3(const struct sigv4_presign *p, const struct sigv4_credentials *cred,
                      struct sigv4_result *out, char *err, size_t errlen)
{
    bool ok = false;
    struct base_url bu = {0};
    struct buf path, url;
    struct sigv4_header headers[3];
    size_t n_headers = 0;

    memset(out, 0, sizeof(*out));
    buf_init(&bu.host);
    buf_init(&bu.path);
    buf_init(&path);
    buf_init(&url);

    if (!p->method || (strcmp(p->method, "GET") != 0 && strcmp(p->method, "PUT") != 0)) {
        set_err(err, errlen, "presign supports GET and PUT only");
        goto out;
    }
    if (!nonempty(p->key) || strlen(p->key) > S3_KEY_MAX) {
        set_err(err, errlen, "object key must be 1 to %d bytes", S3_KEY_MAX);
        goto out;
    }
    if (!parse_base_url(p->base_url, &bu, err, errlen))
        goto out;

    buf_printf(&path, "%s/", buf_cstr(&bu.path));
    uri_encode(&path, p->key, strlen(p->key), true);

    headers[n_headers++] = (struct sigv4_header){"host", buf_cstr(&bu.host)};
    if (p->content_type)
        headers[n_headers++] = (struct sigv4_header){"content-type", p->content_type};
    if (p->content_length)
        headers[n_headers++] = (struct sigv4_header){"content-length", p->content_length};
    const char *query = p->attachment ? PRESIGN_ATTACHMENT_QUERY : NULL;

    struct sigv4_request req = {
        .method = p->method,
        .path = buf_cstr(&path),
        .query = query,
        .headers = headers,
        .n_headers = n_headers,
        .payload_hash = UNSIGNED_PAYLOAD,
        .region = p->region,
        .service = "s3",
        .when = p->when,
        .expires = p->expires,
        .flags = SIGV4_QUERY | SIGV4_S3_PATH,
    };
    if (!sigv4_sign(&req, cred, out, err, errlen))
        goto out;
    buf_printf(&url, "%s://%s%s?%s%s%s", bu.scheme, buf_cstr(&bu.host), buf_cstr(&path),
               query ? query : "", query ? "&" : "", out->query);
    out->url = buf_take(&url);
    ok = true;
out:
    if (!ok)
        sigv4_result_free(out);
    buf_free(&bu.host);
    buf_free(&bu.path);
    buf_free(&path);
    buf_free(&url);
    return ok;
}

/* sigv4_result_free releases every string r holds and leaves it zeroed, so
 * it is safe on a zeroed, half-filled or already freed result. */
void sigv4_result_free(struct sigv4_result *r)
{
    if (!r)
        return;
    free(r->canonical_request);
    free(r->string_to_sign);
    free(r->authorization);
    free(r->query);
    free(r->url);
    for (size_t i = 0; i < r->n_headers; i++)
        free(r->headers[i].value);
    OPENSSL_cleanse(r, sizeof(*r)); /* zero; the signature is not worth leaving about */
}
