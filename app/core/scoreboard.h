/* SPDX-License-Identifier: MIT */
/* scoreboard: shared memory where every worker thread says what it is doing.
 *
 * The master maps it before forking; each worker process gets a seat (a row
 * of SCOREBOARD_THREADS_MAX slots) and each of its threads writes only its own
 * slot. The master reads the slots on its heartbeat to kill a worker stuck
 * past the request timeout and to say which route hung. Slots hold no
 * pointers, so they mean the same in every process. */
#ifndef GH_SCOREBOARD_H
#define GH_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#define SCOREBOARD_SEATS_MAX 64       /* worker processes alive at once (2 generations) */
#define SCOREBOARD_THREADS_MAX 64     /* threads per worker process */
#define SCOREBOARD_ROUTE_MAX 48

enum slot_stage { SLOT_IDLE = 0, SLOT_BUSY = 1 };

struct slot {
    volatile int stage;                  /* enum slot_stage */
    volatile int64_t started_us;         /* monotonic start of the current request */
    volatile uint64_t requests;          /* requests served by this thread */
    char route[SCOREBOARD_ROUTE_MAX];    /* route of the current/last request */
};

/* A seat: which worker process holds it (written by the master). */
struct seat {
    volatile int pid;            /* 0: free */
    volatile int generation;
    volatile int64_t started_us; /* monotonic */
};

/* scoreboard_create maps the shared area; call once in the master. 0 or -1. */
int scoreboard_create(void);
/* scoreboard_slot returns the slot of a thread; the caller writes only its own. */
struct slot *scoreboard_slot(int seat, int thread);
/* scoreboard_clear_seat resets a seat's slots before a new worker takes it. */
void scoreboard_clear_seat(int seat);
/* scoreboard_seat_set/clear record who holds a seat (master side). */
void scoreboard_seat_set(int seat, int pid, int generation);
void scoreboard_seat_clear(int seat);
const struct seat *scoreboard_seat(int seat);
/* The pool's start (wall clock), for /status. */
void scoreboard_set_started(int64_t unix_time);
int64_t scoreboard_started(void);
/* scoreboard_slot_begin/end mark a request on a slot (worker side). */
void scoreboard_slot_begin(struct slot *slot, const char *route);
void scoreboard_slot_end(struct slot *slot);
/* scoreboard_monotonic_us is the clock the slots use. */
int64_t scoreboard_monotonic_us(void);

#endif
