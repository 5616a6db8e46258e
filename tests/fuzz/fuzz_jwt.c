/* SPDX-License-Identifier: MIT */
/* fuzz_jwt: libFuzzer harness for jwt_verify and the JWKS parser.
 *
 * An input that starts with '{' is a JWKS document and is installed for a
 * side issuer (the RSA key building and key-set replacement paths); any
 * other input is a token, verified both as an id and as an access token
 * against a JWKS injected at start-up, at a fixed clock equal to the time it
 * was installed, so an unknown kid never triggers a network fetch. The seed
 * corpus holds tokens signed by the private half of FUZZ_N (not kept) so
 * that the claim checks run too. Besides memory errors it checks that
 * claims come back exactly on success and carry the expected issuer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws/jwt.h"
#include "core/log.h"

#define NOW 1700000000 /* fixed clock: runs must be reproducible */
#define ISSUER "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Fuzz"
#define SIDE_ISSUER "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Side"
#define CLIENT_ID "fuzzclient"
#define FUZZ_KID "fuzz-key"
#define FUZZ_N                                                                                     \
    "gMYZa1WxO557bXI6F3wfI8Xl7IPOF0OfKIE6NONdyJQM_Wc1N4f6NZktySj3YF4peutzILXG8fB4noZ3Wn9d9ukKD"    \
    "grVggp0kfdycEFGK6-14w1N-KupAQOT4xE0FgKSxWzAFY-lStfj4G4NMVCWUqpd9bPmmsqSbQv_PFofPr1tf4Hoe"     \
    "6YqN0Gu2Hcg7PHe0bvc-75qvDhWcUpfAgo3ECa3o0VqHewbXfCj5rwduOPEZ4XbY9Q7giJeI1xoTVHqSLLSJCg2sO"    \
    "drxqcjklnRSCGc3iD-Yf5BdV22Y4ppx0RE_3yHaB3p8MSzSFLzu4NlYJHI1JukmH5wIHZQfYNWxQ"

static const char fuzz_jwks[] = "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\","
                                "\"kid\":\"" FUZZ_KID "\",\"e\":\"AQAB\",\"n\":\"" FUZZ_N "\"}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    if (jwt_cache_put_jwks(ISSUER, fuzz_jwks, strlen(fuzz_jwks), NOW) != 0)
        abort(); /* the harness itself is broken */
    return 0;
}

static void verify_as(const char *token, enum jwt_use use)
{
    const struct jwt_expect expect = {ISSUER, CLIENT_ID, use};
    struct json_object *claims = NULL, *iss;
    enum jwt_status st = jwt_verify(token, &expect, NOW, &claims);

    if ((st == JWT_OK) != (claims != NULL))
        abort();
    if (st == JWT_UNAVAILABLE)
        abort(); /* keys are cached for ISSUER: nothing may need a fetch */
    if (claims && (!json_object_object_get_ex(claims, "iss", &iss) ||
                   strcmp(json_object_get_string(iss), ISSUER) != 0))
        abort();
    if (!jwt_status_name(st))
        abort();
    json_object_put(claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (size > 0 && text[0] == '{') {
        /* The JWKS arrives with its length; embedded NULs are its problem. */
        jwt_cache_put_jwks(SIDE_ISSUER, text, size, NOW);
    } else {
        verify_as(text, JWT_USE_ID);
        verify_as(text, JWT_USE_ACCESS);
    }
    free(text);
    return 0;
}
