/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * mapstorm [MS]: mapping events are lost, the mapped total is still known.
 *
 * Four threads, started before "ready" (their stacks predate tracing),
 * mmap and munmap 4 KiB as fast as they can for MS ms (default 1500):
 * more events than the tracer's ring buffer holds. Meanwhile the main
 * thread maps 64 anonymous mappings of 64 KiB and keeps them (hold_mapping),
 * and maps 64 more that it unmaps again before the storm ends
 * (pass_mapping), so that lost events leave the tracer both mappings it
 * does not know and mappings that no longer exist.
 *
 * Ground truth: hold_mapping, 4 MiB in 64 mappings; nothing else mapped
 * since "ready".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include "target.h"

#define USAGE	  "[MS]"
#define N_STORM	  4
#define N_HOLD	  64
#define HOLD_SIZE (64 * 1024)

static atomic_int storm_state; /* 0 wait, 1 storm, 2 stop */
static void *held[N_HOLD], *passing[N_HOLD];

static LT_LEAKFN void *hold_mapping(void)
{
	void *p = mmap(NULL, HOLD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	lt_check(p != MAP_FAILED, "mmap held");
	return p;
}

static LT_LEAKFN void *pass_mapping(void)
{
	void *p = mmap(NULL, HOLD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	lt_check(p != MAP_FAILED, "mmap passing");
	return p;
}

static LT_LEAKFN void storm_once(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	lt_check(p != MAP_FAILED, "mmap storm");
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

static void *storm_main(void *arg)
{
	while (atomic_load(&storm_state) == 0)
		lt_sleep_ms(1);
	while (atomic_load(&storm_state) == 1)
		storm_once();
	return arg;
}

/* Map the held and passing sets, then unmap the passing one, mid-storm. */
static void map_during_storm(int ms)
{
	long step = ms / (3 * N_HOLD) + 1;
	int i;

	for (i = 0; i < N_HOLD; i++) {
		lt_sleep_ms(step);
		held[i] = hold_mapping();
		passing[i] = pass_mapping();
	}
	for (i = 0; i < N_HOLD; i++) {
		lt_sleep_ms(step);
		if (passing[i] != MAP_FAILED)
			munmap(passing[i], HOLD_SIZE);
	}
	lt_sleep_ms(ms - 2 * N_HOLD * step > 0 ? ms - 2 * N_HOLD * step : 0);
}

int main(int argc, char **argv)
{
	struct lt_expect e[] = {
		{ "hold_mapping", "mapped", (long long)N_HOLD * HOLD_SIZE,
		  N_HOLD },
	};
	pthread_t t[N_STORM];
	int ms, i;

	lt_parse("mapstorm", argc, argv, USAGE);
	ms = lt_arg(0, 1500, 1, USAGE);
	for (i = 0; i < N_STORM; i++)
		lt_check(!pthread_create(&t[i], NULL, storm_main, NULL),
			 "pthread_create");
	lt_setup();
	lt_wait_go();
	atomic_store(&storm_state, 1);
	map_during_storm(ms);
	atomic_store(&storm_state, 2);
	for (i = 0; i < N_STORM; i++)
		pthread_join(t[i], NULL);
	lt_report(e, LT_ARRAY_SIZE(e));
	lt_finish();
}
