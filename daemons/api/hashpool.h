/* A small pool of threads for CPU-only request work (password hashing), shared by the
 * api workers so that a slow hash never blocks a worker's event loop. The pool knows
 * nothing about HTTP: a job is a function and its argument, run once on a pool thread.
 * Jobs must not touch a worker's PGconn or event loop state (only thread-safe calls
 * such as event_active). */
#ifndef API_HASHPOOL_H
#define API_HASHPOOL_H

/* A job; embedded by the caller, who owns its memory until run returns. */
struct hashpool_job {
	void (*run)(struct hashpool_job *job);
	struct hashpool_job *next; /* the pool's queue */
};

struct hashpool;

/* Start nthreads (at least 1) threads; fatal when a thread cannot be created. */
struct hashpool *hashpool_new(int nthreads);
/* Queue job (thread-safe); it runs on a pool thread unless the pool is freed first. */
void hashpool_submit(struct hashpool *p, struct hashpool_job *job);
/* Let the running jobs finish, drop the queued ones (their owners free them), join
 * the threads and free the pool. NULL is a no-op. */
void hashpool_free(struct hashpool *p);

#endif
