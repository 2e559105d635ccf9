// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * census_cpu PID [ROUNDS [PAUSE]]: leaktrace's --objects census code alone
 * (no BPF), run ROUNDS times on PID, PAUSE seconds apart: CPU time per
 * census (getrusage) and the peak RSS of this process, which is what the
 * census adds to leaktrace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include "python/census.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 5, i;
	double pause_s = argc > 3 ? atof(argv[3]) : 0;
	struct py_census *c;
	struct rusage ru;
	double t0, t;

	if (argc < 2) {
		fprintf(stderr, "usage: census_cpu PID [ROUNDS [PAUSE]]\n");
		return 2;
	}
	c = census_new(atoi(argv[1]));
	if (!c) {
		fprintf(stderr, "census_cpu: no supported CPython in %s\n",
			argv[1]);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		if (i && pause_s > 0)
			usleep((useconds_t)(pause_s * 1e6));
		t0 = cpu_s();
		census_take(c);
		t = cpu_s() - t0;
		printf("census %d: %.3f s CPU\n", i + 1, t);
	}
	census_print_text(stdout, c, argc > 4 ? atoi(argv[4]) : 5);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
	census_free(c);
	return 0;
}
