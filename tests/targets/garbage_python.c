/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * garbage_python [N]: looks like CPython 3.11 to a tracer (it defines
 * _PyRuntime, Py_Version and the type objects) but its "runtime" is
 * garbage: pointers into itself and random words, rewritten by a thread
 * while the workload runs. leak_here leaks N blocks (default 50) of 100
 * bytes; the tracer must follow no pointer out of bounds, name no Python
 * frame it cannot check, and still count the native leak exactly.
 */
#include <pthread.h>
#include "target.h"

#define USAGE "[N blocks (50)]"
#define BLOCK 100
#define WORDS 4096

uint64_t _PyRuntime[WORDS] __attribute__((used, aligned(64)));
uint32_t Py_Version __attribute__((used)) = 0x030b00f0; /* 3.11.0 */
uint64_t PyCode_Type[64] __attribute__((used));
uint64_t PyUnicode_Type[64] __attribute__((used));
uint64_t PyBytes_Type[64] __attribute__((used));

static void *volatile kept[10000];
static volatile int stop;

static void scramble(unsigned int *seed)
{
	int i;

	for (i = 0; i < WORDS; i++) {
		unsigned int r = rand_r(seed);

		if (r % 3 == 0) /* a pointer into the runtime itself */
			_PyRuntime[i] =
				(uint64_t)(uintptr_t)&_PyRuntime[r % WORDS];
		else if (r % 3 == 1) /* or to a "type" */
			_PyRuntime[i] = (uint64_t)(uintptr_t)PyCode_Type;
		else
			_PyRuntime[i] = ((uint64_t)r << 32) | rand_r(seed);
	}
}

static void *scrambler(void *arg)
{
	unsigned int seed = 7;

	while (!stop)
		scramble(&seed);
	return arg;
}

LT_LEAKFN void leak_here(int n)
{
	int i;

	for (i = 0; i < n; i++)
		kept[i] = malloc(BLOCK);
}

int main(int argc, char **argv)
{
	unsigned int seed = 1;
	pthread_t t;
	int n, i;

	lt_parse("garbage_python", argc, argv, USAGE);
	n = lt_arg(0, 50, 1, USAGE);
	if (n > 10000)
		lt_usage(USAGE);
	scramble(&seed);
	lt_setup();
	lt_check(!pthread_create(&t, NULL, scrambler, NULL), "pthread_create");
	lt_wait_go();
	leak_here(n);
	stop = 1;
	pthread_join(t, NULL);
	for (i = 0; i < n; i++)
		lt_check(kept[i], "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_here", "heap", (long long)n * BLOCK, n },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
