/* Threads for CPU-only request work: a mutex-protected FIFO and a condition variable. */
#include "hashpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fatal.h"

struct hashpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hashpool_job *head, *tail;
	bool stopping;
	int nthreads;
	pthread_t *threads;
};

/* The next job, or NULL once the pool stops. */
static struct hashpool_job *
hashpool_take(struct hashpool *p)
{
	struct hashpool_job *job;

	pthread_mutex_lock(&p->mu);
	while (p->head == NULL && !p->stopping)
		pthread_cond_wait(&p->cv, &p->mu);
	job = p->stopping ? NULL : p->head;
	if (job != NULL) {
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return job;
}

static void *
hashpool_main(void *arg)
{
	struct hashpool *p = arg;
	struct hashpool_job *job;

	while ((job = hashpool_take(p)) != NULL)
		job->run(job);
	return NULL;
}

struct hashpool *
hashpool_new(int nthreads)
{
	struct hashpool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->nthreads = nthreads > 0 ? nthreads : 1;
	p->threads = xcalloc((size_t)p->nthreads, sizeof(*p->threads));
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->threads[i], NULL, hashpool_main, p) != 0)
			fatal("api: cannot start a hash thread");
	return p;
}

void
hashpool_submit(struct hashpool *p, struct hashpool_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
hashpool_free(struct hashpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}
