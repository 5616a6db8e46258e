/* SPDX-License-Identifier: MIT */
/* scoreboard: per-thread request slots in shared memory (see scoreboard.h).
 *
 * One anonymous MAP_SHARED mapping made by the master before the first fork
 * is inherited by every worker and outlives them all. Writers are single
 * (one thread per slot) and the reader only needs a recent, not an exact,
 * picture, so there is no lock: the stage is written last when a request
 * begins and first when it ends, which is enough for a timeout check. */
#include "scoreboard.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct header {
    volatile int64_t started; /* unix time of the pool's start */
    struct seat seats[SCOREBOARD_SEATS_MAX];
};

static struct slot *slots;
static struct header *header;

int scoreboard_create(void)
{
    if (slots)
        return 0;
    size_t size = sizeof(struct header) +
                  sizeof(struct slot) * SCOREBOARD_SEATS_MAX * SCOREBOARD_THREADS_MAX;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return -1;
    header = p;
    slots = (struct slot *)(header + 1);
    return 0;
}

void scoreboard_seat_set(int seat, int pid, int generation)
{
    header->seats[seat].generation = generation;
    header->seats[seat].started_us = scoreboard_monotonic_us();
    __atomic_store_n(&header->seats[seat].pid, pid, __ATOMIC_RELEASE);
}

void scoreboard_seat_clear(int seat)
{
    __atomic_store_n(&header->seats[seat].pid, 0, __ATOMIC_RELEASE);
}

const struct seat *scoreboard_seat(int seat)
{
    return &header->seats[seat];
}

void scoreboard_set_started(int64_t unix_time)
{
    header->started = unix_time;
}

int64_t scoreboard_started(void)
{
    return header ? header->started : 0;
}

struct slot *scoreboard_slot(int seat, int thread)
{
    return &slots[seat * SCOREBOARD_THREADS_MAX + thread];
}

void scoreboard_clear_seat(int seat)
{
    memset(scoreboard_slot(seat, 0), 0, sizeof(struct slot) * SCOREBOARD_THREADS_MAX);
}

int64_t scoreboard_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void scoreboard_slot_begin(struct slot *slot, const char *route)
{
    strncpy(slot->route, route, SCOREBOARD_ROUTE_MAX - 1);
    slot->route[SCOREBOARD_ROUTE_MAX - 1] = '\0';
    slot->started_us = scoreboard_monotonic_us();
    __atomic_store_n(&slot->stage, SLOT_BUSY, __ATOMIC_RELEASE);
}

void scoreboard_slot_end(struct slot *slot)
{
    __atomic_store_n(&slot->stage, SLOT_IDLE, __ATOMIC_RELEASE);
    slot->requests++;
}
