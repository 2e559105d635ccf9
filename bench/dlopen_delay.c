// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * How long after a dlopen the library's allocations are walked by its
 * table (bench/unwind.sh early): dlopen LIB, then call its
 * late_leak(64) every PERIOD_US for CALLS calls, each a leaked block.
 * Blocks made before leaktrace loaded the table stop early; their count
 * times the period printed (us per call) is the delay.
 * Usage: dlopen_delay LIB CALLS PERIOD_US
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	void (*leak)(size_t);
	long calls, period, i;
	void *h;

	if (argc != 4)
		return 2;
	calls = atol(argv[2]);
	period = atol(argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	h = dlopen(argv[1], RTLD_NOW);
	leak = h ? (void (*)(size_t))dlsym(h, "late_leak") : NULL;
	if (!leak) {
		fprintf(stderr, "dlopen_delay: %s\n", dlerror());
		return 1;
	}
	for (i = 0; i < calls; i++) {
		leak(64);
		usleep(period);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 /
		       calls);
	return 0;
}
