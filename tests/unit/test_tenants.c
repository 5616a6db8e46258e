/* SPDX-License-Identifier: MIT */
/* test_tenants: the tenant cache of store/tenants.c, without a database.
 *
 * The module is included whole to reach its static cache: records are put
 * and read with a made-up clock. Checked: packing gives back every byte of
 * a record (empty, typical, every field full, and the worst case for the
 * format), and refuses a damaged one; the cache keeps TENANT_CACHE_MAX
 * tenants and serves each as it was put; one more evicts exactly one, and
 * CLOCK picks one that was not read; a record is served for less than the
 * TTL, not after; an update replaces in place; tenants_forget empties it. */
#include "store/tenants.c"

#include "test.h"

#define T0 1700000000L
#define TTL_S 30

static void fill(struct tenant *t, int i)
{
    memset(t, 0, sizeof(*t));
    t->id = i + 1;
    snprintf(t->slug, sizeof(t->slug), "tenant-%05d", i);
    snprintf(t->name, sizeof(t->name), "Tenant number %d", i);
    snprintf(t->status, sizeof(t->status), "active");
    t->active = true;
    snprintf(t->region, sizeof(t->region), "eu-west-1");
    snprintf(t->user_pool_id, sizeof(t->user_pool_id), "eu-west-1_Pool%05d", i);
    snprintf(t->client_id, sizeof(t->client_id), "client%05dabcdefghijklmnop", i);
    snprintf(t->client_secret, sizeof(t->client_secret), "secret-%05d-0123456789abcdef0123456789", i);
    t->password.known = true;
    t->password.min_length = 12;
    t->password.digit = true;
    t->password.read_at = T0 - i;
}

static bool round_trip(const struct tenant *t, size_t *len)
{
    unsigned char packed[PACK_MAX];
    struct tenant back;
    *len = pack_tenant(t, packed);
    memset(&back, 0x5a, sizeof(back));
    return *len > 0 && *len <= PACK_MAX && unpack_tenant(packed, *len, &back) &&
           !memcmp(&back, t, sizeof(back));
}

static void test_packing(void)
{
    struct tenant t;
    size_t len;

    memset(&t, 0, sizeof(t));
    test_cond("an empty record round-trips", round_trip(&t, &len));
    test_cond("an empty record packs small", len < 64);

    fill(&t, 7);
    test_cond("a typical record round-trips", round_trip(&t, &len));
    test_cond("a typical record packs to its used bytes", len < 400);

    memset(&t, 'x', sizeof(t));
    test_cond("a record without zeros round-trips", round_trip(&t, &len));

    /* Zero runs just short of and just at the squeezed length, in turn. */
    unsigned char *b = (unsigned char *)&t;
    for (size_t i = 0; i < sizeof(t); i++)
        b[i] = (i % 9 < 4) ? 0 : (unsigned char)(1 + i % 250);
    test_cond("alternating runs round-trip within PACK_MAX", round_trip(&t, &len));
    for (size_t i = 0; i < sizeof(t); i++)
        b[i] = (i % 2) ? 0 : 'a';
    test_cond("single zeros round-trip", round_trip(&t, &len));

    unsigned char packed[PACK_MAX];
    struct tenant back;
    fill(&t, 3);
    len = pack_tenant(&t, packed);
    test_cond("a truncated record is refused", !unpack_tenant(packed, len - 1, &back));
    packed[0] = 0xff; /* a run past the struct's end */
    test_cond("a run past the end is refused", !unpack_tenant(packed, len, &back));
}

static bool cached(int i, time_t now, struct tenant *out)
{
    char slug[TENANT_SLUG_MAX];
    snprintf(slug, sizeof(slug), "tenant-%05d", i);
    return cache_get(slug, now, out);
}

static void test_capacity(void)
{
    struct tenant t, got;
    tenants_forget();
    for (int i = 0; i < TENANT_CACHE_MAX; i++) {
        fill(&t, i);
        cache_put(&t, T0);
    }
    int served = 0, same = 0;
    for (int i = 0; i < TENANT_CACHE_MAX; i++) {
        fill(&t, i);
        if (cached(i, T0 + 1, &got)) {
            served++;
            same += !memcmp(&got, &t, sizeof(t));
        }
    }
    test_cond("every one of TENANT_CACHE_MAX tenants is served", served == TENANT_CACHE_MAX);
    test_cond("each as it was put", same == TENANT_CACHE_MAX);

    fill(&t, TENANT_CACHE_MAX);
    cache_put(&t, T0 + 2);
    served = 0;
    for (int i = 0; i <= TENANT_CACHE_MAX; i++)
        served += cached(i, T0 + 3, &got);
    test_cond("one more evicts exactly one", served == TENANT_CACHE_MAX);
    test_cond("the newest is kept", cached(TENANT_CACHE_MAX, T0 + 3, &got));
}

static void test_clock(void)
{
    struct tenant t, got;
    tenants_forget();
    for (int i = 0; i < TENANT_CACHE_MAX; i++) {
        fill(&t, i);
        cache_put(&t, T0);
    }
    /* Every tenant is read but one: that one gives way to a new one. */
    const int idle = 100;
    for (int i = 0; i < TENANT_CACHE_MAX; i++)
        if (i != idle)
            cached(i, T0 + 1, &got);
    fill(&t, TENANT_CACHE_MAX);
    cache_put(&t, T0 + 2);
    test_cond("the tenant nobody read is evicted", !cached(idle, T0 + 3, &got));
    int kept = 0;
    for (int i = 0; i < TENANT_CACHE_MAX; i++)
        kept += i != idle && cached(i, T0 + 3, &got);
    test_cond("the tenants that were read are kept", kept == TENANT_CACHE_MAX - 1);
}

static void test_ttl_and_updates(void)
{
    struct tenant t, got;
    tenants_forget();
    fill(&t, 1);
    cache_put(&t, T0);
    test_cond("served just before the TTL", cached(1, T0 + TTL_S - 1, &got));
    test_cond("not served at the TTL", !cached(1, T0 + TTL_S, &got));

    snprintf(t.name, sizeof(t.name), "Renamed");
    cache_put(&t, T0 + TTL_S);
    test_cond("a fresh read replaces the record",
              cached(1, T0 + TTL_S + 1, &got) && !strcmp(got.name, "Renamed"));
    test_cond("in place: one entry", entries_used == 1);

    /* The expired are given up first, read or not. */
    tenants_forget();
    for (int i = 0; i < TENANT_CACHE_MAX; i++) {
        fill(&t, i);
        cache_put(&t, i == 1000 ? T0 - TTL_S : T0);
        cached(i, T0, &got);
    }
    fill(&t, TENANT_CACHE_MAX);
    cache_put(&t, T0 + 1);
    int kept = 0;
    for (int i = 0; i < TENANT_CACHE_MAX; i++)
        kept += cached(i, T0 + 1, &got);
    test_cond("only the expired one gave way", kept == TENANT_CACHE_MAX - 1 &&
                                                    !cached(1000, T0 + 1, &got));

    tenants_forget();
    test_cond("forget empties the cache", !cached(1, T0, &got) && entries_used == 0);
    cache_ttl_s = 0;
    fill(&t, 2);
    cache_put(&t, T0);
    test_cond("a TTL of 0 caches nothing", !cached(2, T0, &got) && entries_used == 0);
    cache_ttl_s = TTL_S;
}

int main(void)
{
    cache_ttl_s = TTL_S;
    test_packing();
    test_capacity();
    test_clock();
    test_ttl_and_updates();
    tenants_forget();
    return test_report();
}
