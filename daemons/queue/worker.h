/* Worker threads: each has its own connection, claims batches under a lease, runs the
 * handlers one at a time and completes successes in batches. The shared state lives
 * in struct queue (one per process); the main thread watches the slots (watchdog.c). */
#ifndef QUEUE_WORKER_H
#define QUEUE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "job.h"
#include "log.h"
#include "mail_send.h"

/* Extra lease beyond a handler's time-out: covers the watchdog's grace and clock skew. */
#define WORKER_LEASE_MARGIN_MS 3000

/* What the watchdog needs to know about a running handler (guarded by mu). */
struct worker_slot {
	pthread_mutex_t mu;
	int64_t deadline_ms; /* monotonic; 0 when no handler runs */
	int64_t timeout_ms;
	const struct job *job;
	char lease[64];
};

struct queue;

struct worker {
	struct queue *q;
	int index;
	pthread_t thread;
	struct worker_slot slot;
};

struct queue {
	const struct config *cfg;
	const struct logger *lg;
	struct mail_send mail;
	atomic_bool stopping;
	int stop_fd;         /* eventfd, readable once stopping */
	atomic_int ready;    /* workers connected and listening */
	atomic_int running;  /* worker threads that have not returned */
	atomic_int failures; /* workers that gave up (database unreachable) */
	int nworkers;
	struct worker *workers;
};

/* Lease for a fresh claim: twice the default handler time-out plus the margin. */
int64_t worker_default_lease_ms(const struct config *cfg);
/* Thread entry; arg is a struct worker. */
void *worker_main(void *arg);

#endif
