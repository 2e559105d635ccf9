/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exit_on_probe [MS]: after the go signal, watches the first bytes of
 * malloc and exits 0 the moment they change, that is when a tracer's first
 * uprobe (a breakpoint instruction) lands there: in the middle of the
 * tracer's attach. For checking that a tracer copes with a target that
 * exits while it is attaching. The expect line (nothing leaked) is printed
 * just before exiting. Gives up after MS milliseconds (default 20000) and
 * exits 1.
 */
#include "target.h"

#define USAGE "[MS timeout (20000)]"

int main(int argc, char **argv)
{
	void *(*volatile fn)(size_t) = malloc;
	unsigned char first[8];
	long long ms, waited;

	lt_parse("exit_on_probe", argc, argv, USAGE);
	ms = lt_arg(0, 20000, 0, USAGE);
	lt_setup();
	lt_wait_go();

	memcpy(first, (const void *)fn, sizeof(first));
	for (waited = 0; waited < ms * 10; waited++) {
		if (memcmp(first, (const void *)fn, sizeof(first))) {
			lt_report(NULL, 0);
			_exit(0);
		}
		{
			struct timespec ts = { 0, 100000 }; /* 0.1 ms */

			nanosleep(&ts, NULL);
		}
	}
	lt_printfd(2, "exit_on_probe: no probe on malloc within %lld ms\n", ms);
	return 1;
}
