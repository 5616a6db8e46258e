/* SPDX-License-Identifier: MIT */
/* Unit tests of cors: which origins CORS_ORIGINS admits (exact origins,
 * spaces, "*", near misses) and which paths are the API's. */
#include <string.h>

#include "http/cors.h"
#include "test.h"

static void test_origins(void)
{
    const char *list = "https://app.example.com, http://localhost:5173 ,https://b.example";
    test_cond("a listed origin", cors_origin_allowed(list, "https://app.example.com"));
    test_cond("spaces around entries", cors_origin_allowed(list, "http://localhost:5173"));
    test_cond("the last entry", cors_origin_allowed(list, "https://b.example"));
    test_cond("scheme and host compare without case",
              cors_origin_allowed(list, "HTTPS://APP.EXAMPLE.COM"));
    test_cond("another port", !cors_origin_allowed(list, "http://localhost:5174"));
    test_cond("another scheme", !cors_origin_allowed(list, "http://app.example.com"));
    test_cond("a prefix of a listed origin", !cors_origin_allowed(list, "https://app.example"));
    test_cond("a listed origin as prefix", !cors_origin_allowed(list, "https://app.example.com.evil"));
    test_cond("a subdomain", !cors_origin_allowed(list, "https://x.b.example"));
    test_cond("the null origin", !cors_origin_allowed(list, "null"));
    test_cond("no origin", !cors_origin_allowed(list, NULL) && !cors_origin_allowed(list, ""));
    test_cond("no list", !cors_origin_allowed(NULL, "https://app.example.com"));
    test_cond("an empty list", !cors_origin_allowed("", "https://app.example.com"));
    test_cond("commas only", !cors_origin_allowed(" , ,", "https://app.example.com"));
    test_cond("any origin with *", cors_origin_allowed("*", "https://whoever.example"));
    test_cond("* among others", cors_origin_allowed("https://a.example, *", "https://z.example"));
    test_cond("* is no wildcard inside a name", !cors_origin_allowed("https://*.example", "https://a.example"));
}

static void expect_path(const char *path, bool want)
{
    struct request req;
    memset(&req, 0, sizeof(req));
    req.path = path;
    test_cond(path, cors_applies(&req) == want);
}

static void test_paths(void)
{
    expect_path("/api/v1/me", true);
    expect_path("/api/v1/auth/login", true);
    expect_path("/auth/signin", true);
    expect_path("/files/upload-url", true);
    expect_path("/files", false);
    expect_path("/login", false);
    expect_path("/apiv1", false);
    expect_path("/", false);
}

int main(void)
{
    test_origins();
    test_paths();
    return test_report();
}
