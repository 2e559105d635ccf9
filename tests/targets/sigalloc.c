/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sigalloc [MODE] [N]: a signal handler allocates while it interrupts an
 * allocator call on the same thread. The allocator is sa_malloc/sa_free in
 * this executable (a lock-free bump allocator, safe to call from a
 * handler; trace it with --lib EXE --symbol-prefix sa_). N times (100),
 * outer_alloc() calls sa_malloc, which raises SIGUSR2 on its own thread
 * from inside (so the signal lands in the call, every time); the handler
 * keeps 3 blocks from in_handler(). MODE: "plain", "altstack" (the handler
 * runs on a sigaltstack), "longjmp" (the handler leaves by siglongjmp: the
 * interrupted call never returns), "altstack-longjmp". After that,
 * after_signals() keeps N blocks, to check nothing stale was left behind.
 */
#include "target.h"
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define USAGE	   "[plain|altstack|longjmp|altstack-longjmp] [N (100)]"
#define ARENA	   (64 << 20)
#define IN_HANDLER 3
#define OUTER_SIZE 1000
#define INNER_SIZE 200
#define AFTER_SIZE 300

static char *arena;
static atomic_size_t arena_used;
static volatile sig_atomic_t raise_inside;
static bool leave_by_longjmp;
static sigjmp_buf back;
static void *volatile kept[1 << 16];
static atomic_int n_kept;

LT_LEAKFN void *sa_malloc(size_t size)
{
	size_t off = atomic_fetch_add(&arena_used, (size + 15) & ~15UL);
	void *p = off + size <= ARENA ? arena + off : NULL;

	if (raise_inside) {
		raise_inside = 0;
		syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
	}
	return p;
}

static atomic_long n_freed;

LT_LEAKFN void sa_free(void *p)
{
	/* A bump allocator never reuses; counting keeps the call. */
	if (p)
		atomic_fetch_add(&n_freed, 1);
}

static void keep(void *p)
{
	kept[atomic_fetch_add(&n_kept, 1) & 0xffff] = p;
}

LT_LEAKFN void in_handler(void)
{
	keep(sa_malloc(INNER_SIZE));
}

static void on_usr2(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < IN_HANDLER; i++)
		in_handler();
	if (leave_by_longjmp)
		siglongjmp(back, 1);
}

LT_LEAKFN void outer_alloc(void)
{
	raise_inside = 1;
	keep(sa_malloc(OUTER_SIZE));
}

LT_LEAKFN void after_signals(void)
{
	sa_free(sa_malloc(AFTER_SIZE * 2));
	keep(sa_malloc(AFTER_SIZE));
}

static void setup_handler(bool altstack)
{
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigemptyset(&sa.sa_mask);
	if (altstack) {
		ss.ss_size = 1 << 16;
		ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ss.ss_flags = 0;
		lt_check(ss.ss_sp != MAP_FAILED && !sigaltstack(&ss, NULL),
			 "sigaltstack");
		sa.sa_flags |= SA_ONSTACK;
	}
	lt_check(!sigaction(SIGUSR2, &sa, NULL), "sigaction");
}

int main(int argc, char **argv)
{
	const char *mode;
	long long n, i, outer_done = 0;
	bool altstack;

	lt_parse("sigalloc", argc, argv, USAGE);
	mode = lt_arg_str(0, "plain");
	n = lt_arg(1, 100, 1, USAGE);
	if (n > 10000 ||
	    (strcmp(mode, "plain") && strcmp(mode, "altstack") &&
	     strcmp(mode, "longjmp") && strcmp(mode, "altstack-longjmp")))
		lt_usage(USAGE);
	altstack = !strncmp(mode, "altstack", 8);
	leave_by_longjmp = strstr(mode, "longjmp") != NULL;
	lt_setup();
	arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lt_check(arena != MAP_FAILED, "mmap arena");
	setup_handler(altstack);
	lt_wait_go();

	for (i = 0; i < n; i++) {
		if (sigsetjmp(back, 1) == 0) {
			outer_alloc();
			outer_done++;
		}
	}
	for (i = 0; i < n; i++)
		after_signals();
	lt_check(outer_done == (leave_by_longjmp ? 0 : n), "interrupted");
	lt_check(n_freed == n, "freed");
	lt_selfcheck_done();
	{
		struct lt_expect e[] = {
			{ "outer_alloc", "heap", outer_done * OUTER_SIZE,
			  outer_done },
			{ "in_handler", "heap", n * IN_HANDLER * INNER_SIZE,
			  n * IN_HANDLER },
			{ "after_signals", "heap", n * AFTER_SIZE, n },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
