/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * busy_threads [THREADS (4)]: threads allocate and free without pause
 * (malloc, calloc, realloc, free; 16 B to 4 KiB, up to 256 blocks each),
 * so a tracer attaches in the middle of calls. Prints "ready PID" and
 * churns at once. Each SIGUSR1 makes every thread free all it holds and
 * stop; the target then prints {"target":...,"expect":[...]} (nothing
 * outstanding anywhere) and waits; the next SIGUSR1 resumes the churn.
 * SIGTERM exits.
 */
#include "target.h"
#include <pthread.h>
#include <stdatomic.h>

#define USAGE	    "[THREADS (4)]"
#define MAX_THREADS 16
#define SLOTS	    256

static atomic_int phase; /* even: churn, odd: drain and wait */
static atomic_int drained;

static unsigned next_rand(unsigned *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

LT_LEAKFN void churn_once(void **slots, unsigned *seed)
{
	unsigned r = next_rand(seed), i = r % SLOTS;
	size_t size = 16 + next_rand(seed) % 4081;

	if (!slots[i])
		slots[i] = (r & 0x100) ? calloc(1, size) : malloc(size);
	else if (r & 0x200)
		slots[i] = realloc(slots[i], size);
	else {
		free(slots[i]);
		slots[i] = NULL;
	}
}

static void *worker(void *arg)
{
	void *slots[SLOTS] = { 0 };
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	int seen = 0, i;

	for (;;) {
		int p = atomic_load(&phase);

		if (!(p & 1)) {
			churn_once(slots, &seed);
			continue;
		}
		if (p != seen) {
			for (i = 0; i < SLOTS; i++) {
				free(slots[i]);
				slots[i] = NULL;
			}
			seen = p;
			atomic_fetch_add(&drained, 1);
		}
		lt_sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	long long n, i, round = 0;

	lt_parse("busy_threads", argc, argv, USAGE);
	n = lt_arg(0, 4, 1, USAGE);
	if (n > MAX_THREADS)
		lt_usage(USAGE);
	lt_setup();
	for (i = 0; i < n; i++)
		lt_check(!pthread_create(&th[i], NULL, worker, (void *)i),
			 "pthread_create");
	lt_printfd(1, "ready %d\n", (int)getpid());
	for (;;) {
		if (lt_wait_signal() == SIGTERM)
			exit(0);
		atomic_store(&drained, 0);
		atomic_fetch_add(&phase, 1);
		while (atomic_load(&drained) < n)
			lt_sleep_ms(1);
		round++;
		{
			struct lt_expect e[] = {
				{ "churn_once", "heap", 0, 0 },
			};

			lt_report(e, LT_ARRAY_SIZE(e));
		}
		if (lt_wait_signal() == SIGTERM)
			exit(0);
		atomic_fetch_add(&phase, 1);
	}
}
