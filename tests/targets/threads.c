/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * threads [T] [N] [L]: T threads (default 8) each make N (default
 * 1000000/T) malloc/free pairs of 16..4096 bytes from churn(), and leak L
 * (default 100) blocks of 256 bytes from thread_leak(), spread over the
 * churn. Threads are created (and their arenas set up) before the go signal
 * and stay parked after the workload until the process exits.
 */
#include "target.h"

#include <pthread.h>

#define USAGE                                                                  \
	"[T threads (8)] [N pairs per thread (1000000/T)] "                    \
	"[L leaks per thread (100)]"
#define MAX_THREADS 1024
#define MAX_LEAKS   (1 << 20)
#define LEAK_SIZE   256
#define RING	    8
#define MIN_SIZE    16
#define MAX_SIZE    4096

struct worker {
	pthread_t thread;
	long long idx;
	long long n; /* malloc/free pairs to make */
	long long l; /* blocks to leak */
	long long leaked;
	long long mallocs;
	long long frees;
	long long nulls;
};

static struct worker workers[MAX_THREADS];
static void *volatile leaks[MAX_LEAKS];
static pthread_barrier_t go, done;

LT_LEAKFN void thread_leak(struct worker *w)
{
	void *p = malloc(LEAK_SIZE);

	if (!p)
		w->nulls++;
	else
		*(volatile char *)p = (char)w->idx;
	leaks[w->idx * w->l + w->leaked++] = p;
}

LT_LEAKFN void churn(struct worker *w)
{
	void *ring[RING] = { NULL };
	uint32_t seed = 0x9e3779b9u * (uint32_t)(w->idx + 1);
	long long stride = w->l ? w->n / w->l : 0;
	long long i;
	int slot;

	for (i = 0; i < w->n; i++) {
		size_t size;

		seed = seed * 1664525u + 1013904223u;
		size = MIN_SIZE + (seed >> 8) % (MAX_SIZE - MIN_SIZE + 1);
		slot = i % RING;
		if (ring[slot]) {
			free(ring[slot]);
			w->frees++;
		}
		ring[slot] = malloc(size);
		w->mallocs++;
		if (!ring[slot])
			w->nulls++;
		else
			((volatile char *)ring[slot])[size - 1] = (char)i;
		if (w->leaked < w->l && (!stride || i % stride == 0))
			thread_leak(w);
	}
	for (slot = 0; slot < RING; slot++) {
		if (ring[slot]) {
			free(ring[slot]);
			w->frees++;
		}
	}
	while (w->leaked < w->l)
		thread_leak(w);
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	/* Set up this thread's arena and tcache before the go signal. */
	free(malloc(MIN_SIZE));
	pthread_barrier_wait(&go);
	churn(w);
	pthread_barrier_wait(&done);
	/*
	 * Never exit: a thread's exit frees its tcache contents, which the
	 * tracer would see as frees of blocks it no longer knows. The process
	 * exit takes the threads down without that.
	 */
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long long t, n, l, i, leaked = 0;
	pthread_attr_t attr;
	int err;

	lt_parse("threads", argc, argv, USAGE);
	t = lt_arg(0, 8, 1, USAGE);
	n = lt_arg(1, 1000000 / t, 0, USAGE);
	l = lt_arg(2, 100, 0, USAGE);
	if (t > MAX_THREADS || (l && t > MAX_LEAKS / l))
		lt_usage(USAGE);
	lt_setup();

	pthread_barrier_init(&go, NULL, t + 1);
	pthread_barrier_init(&done, NULL, t + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < t; i++) {
		workers[i].idx = i;
		workers[i].n = n;
		workers[i].l = l;
		err = pthread_create(&workers[i].thread, &attr, thread_main,
				     &workers[i]);
		if (err) {
			lt_printfd(2, "threads: pthread_create: %s\n",
				   strerror(err));
			return 1;
		}
	}
	pthread_attr_destroy(&attr);

	lt_wait_go();
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&done);

	for (i = 0; i < t; i++) {
		struct worker *w = &workers[i];

		lt_check(!w->nulls, "malloc returned NULL");
		lt_check(w->mallocs == n && w->frees == n,
			 "churn did not make exactly N malloc/free pairs");
		lt_check(w->leaked == l, "thread_leak did not leak L blocks");
		leaked += w->leaked;
	}
	for (i = 0; i < leaked; i++)
		lt_check(leaks[i], "a leaked block is missing");
	{
		struct lt_expect e[] = {
			{ "thread_leak", "heap", t * l * LEAK_SIZE, t * l },
			{ "churn", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
