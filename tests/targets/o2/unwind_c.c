// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind_c MODE: leaks through libc wrappers in code built -O2 without frame
 * pointers, so only CFI can unwind it. Each leak has its own function and
 * size; the test compares leaktrace's stack with gdb's bt at that malloc.
 *   libc      strdup, asprintf, getline and realpath leaks
 *   deep N    a leak N calls deep (beyond the frame limit: truncated)
 *   signal    a leak in a signal handler, interrupting a loop
 *   dlopen    a leak in libunwind_late.so, dlopen'ed after the go signal
 *   twins N   N leaks from one malloc call reached by two outer callers,
 *             the stack pointer the same at every return: only the
 *             outer return address tells the stacks apart
 */
#include "../target.h"

#include <dlfcn.h>
#include <libgen.h>

#define USAGE "libc | deep N | signal | dlopen | twins N"

static void *volatile kept[16];
static volatile int nkept;
static char text[1024];

static LT_LEAKFN void keep(void *p)
{
	kept[nkept++ & 15] = p;
}

LT_LEAKFN void leak_strdup(void)
{
	keep(strdup(text + 1024 - 777)); /* 777 bytes */
}

LT_LEAKFN void leak_asprintf(int n)
{
	char *s = NULL;

	if (asprintf(&s, "%.*s", n, text) > 0) /* fits 200: malloc(n + 1) */
		keep(s);
}

LT_LEAKFN void leak_getline(void)
{
	static char line[] = "line\n";
	FILE *f = fmemopen(line, sizeof(line) - 1, "r");
	char *buf = NULL;
	size_t n = 0;

	if (f && getline(&buf, &n, f) > 0)
		keep(buf); /* malloc(120) */
	if (f)
		fclose(f);
}

static long long realpath_bytes;

LT_LEAKFN void leak_realpath(void)
{
	char *p = realpath("/usr/bin/../lib/./", NULL); /* strdup'ed result */

	realpath_bytes = p ? (long long)strlen(p) + 1 : 0;
	keep(p);
}

LT_LEAKFN void request(int round)
{
	leak_strdup();
	leak_asprintf(150 + round);
	leak_getline();
	leak_realpath();
}

LT_LEAKFN int recurse(int depth)
{
	volatile int here = depth; /* a real frame per call, not a loop */

	if (depth <= 0) {
		keep(malloc(4321));
		return 1;
	}
	return recurse(depth - 1) + here;
}

LT_LEAKFN void twin_leaf(size_t size)
{
	keep(malloc(size));
}

LT_LEAKFN void twin_middle(size_t size)
{
	twin_leaf(size);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

LT_LEAKFN void twin_a(void)
{
	twin_middle(100);
	__asm__ volatile("" ::: "memory");
}

LT_LEAKFN void twin_b(void)
{
	twin_middle(200);
	__asm__ volatile("" ::: "memory");
}

/* b every third call: runs of a (one stack again) and changes. */
static int twins(long n)
{
	int b = 0;

	for (long i = 0; i < n; i++) {
		if (i % 3 == 2) {
			twin_b();
			b++;
		} else
			twin_a();
	}
	return b;
}

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	keep(malloc(3333));
	got = 1;
}

LT_LEAKFN void spin_until_signal(void)
{
	while (!got)
		; /* the handler interrupts this frame */
}

/*
 * The library is mapped after attach; its tables are loaded when leaktrace
 * sees the mapping, so the leak comes a moment later, as a plugin's
 * allocations do (a call right after dlopen may beat the table).
 */
LT_LEAKFN void load_plugin(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	void (*leak)(size_t);
	void *h;

	if (n <= 0)
		return;
	path[n] = 0;
	strcat(dirname(path), "/libunwind_late.so");
	h = dlopen(path, RTLD_NOW);
	leak = h ? (void (*)(size_t))dlsym(h, "late_leak") : NULL;
	lt_check(leak != NULL, "dlopen libunwind_late.so");
	lt_sleep_ms(300);
	if (leak)
		leak(2468);
}

int main(int argc, char **argv)
{
	struct lt_expect e[4];
	const char *mode;
	int n = 0;

	lt_parse("unwind_c", argc, argv, USAGE);
	mode = lt_arg_str(0, NULL);
	if (!mode)
		lt_usage(USAGE);
	memset(text, 'x', sizeof(text) - 1);
	signal(SIGUSR2, on_signal);
	lt_setup();
	lt_wait_go();
	if (!strcmp(mode, "libc")) {
		request(1);
		e[n++] = (struct lt_expect){ "leak_strdup", "heap", 777, 1 };
		e[n++] = (struct lt_expect){ "leak_asprintf", "heap", 152, 1 };
		e[n++] = (struct lt_expect){ "leak_getline", "heap", 120, 1 };
		e[n++] = (struct lt_expect){ "leak_realpath", "heap",
					     realpath_bytes, 1 };
	} else if (!strcmp(mode, "deep")) {
		recurse((int)lt_arg(1, 10, 0, USAGE));
		e[n++] = (struct lt_expect){ "recurse", "heap", 4321, 1 };
	} else if (!strcmp(mode, "signal")) {
		kill(getpid(), SIGUSR2);
		spin_until_signal();
		e[n++] = (struct lt_expect){ "on_signal", "heap", 3333, 1 };
	} else if (!strcmp(mode, "twins")) {
		long rounds = lt_arg(1, 3000, 1, USAGE);
		int b = twins(rounds);

		e[n++] = (struct lt_expect){ "twin_a", "heap",
					     100 * (rounds - b), rounds - b };
		e[n++] = (struct lt_expect){ "twin_b", "heap", 200LL * b, b };
	} else if (!strcmp(mode, "dlopen")) {
		load_plugin();
		e[n++] = (struct lt_expect){ "late_inner", "heap", 2468, 1 };
	} else
		lt_usage(USAGE);
	lt_report(e, n);
	lt_finish();
}
