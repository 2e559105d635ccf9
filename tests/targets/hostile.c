/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hostile MODE [N]: a target that makes tracing hard, with exact ground
 * truth for what it leaks on purpose (leak_here: N blocks of 100 bytes).
 *
 *   threads N      N threads (default 2000), 50 alive at a time, each
 *                  leaking one block and exiting
 *   mmapstorm MS   4 threads mmap and munmap 4 KiB as fast as they can for
 *                  MS ms (default 2000): more mapping events than the ring
 *                  buffer holds; then 10 blocks leaked
 *   coroutines N   N coroutines (swapcontext, stacks on the heap) that each
 *                  leak one block after switching back and forth
 *   comm           names itself with escape sequences and quotes (before
 *                  "ready"), then leaks 10 blocks
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include "target.h"

#define USAGE	   "threads|mmapstorm|coroutines|comm [N]"
#define BLOCK	   100
#define MAX_BLOCKS 4096
#define CO_STACK   (64 * 1024)

static void *volatile kept[MAX_BLOCKS];
static volatile int n_kept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

LT_LEAKFN void leak_here(void)
{
	void *p = malloc(BLOCK);

	pthread_mutex_lock(&kept_lock);
	lt_check(p && n_kept < MAX_BLOCKS, "malloc failed or too many");
	kept[n_kept++] = p;
	pthread_mutex_unlock(&kept_lock);
}

static void *thread_main(void *arg)
{
	free(malloc(64));
	leak_here();
	return arg;
}

static void run_threads(int n)
{
	pthread_t t[50];
	int done = 0, i, batch;

	while (done < n) {
		batch = n - done < 50 ? n - done : 50;
		for (i = 0; i < batch; i++)
			lt_check(
				!pthread_create(&t[i], NULL, thread_main, NULL),
				"pthread_create");
		for (i = 0; i < batch; i++)
			pthread_join(t[i], NULL);
		done += batch;
	}
}

static volatile int storm_stop;

static void *storm_main(void *arg)
{
	while (!storm_stop) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		lt_check(p != MAP_FAILED, "mmap");
		munmap(p, 4096);
	}
	return arg;
}

static void run_mmapstorm(int ms)
{
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		lt_check(!pthread_create(&t[i], NULL, storm_main, NULL),
			 "pthread_create");
	lt_sleep_ms(ms);
	storm_stop = 1;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 10; i++)
		leak_here();
}

static ucontext_t co_main_ctx, co_ctx;

static void co_body(void)
{
	swapcontext(&co_ctx, &co_main_ctx); /* back and forth once */
	leak_here();
}

static void run_coroutines(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		void *stack = malloc(CO_STACK);

		lt_check(stack && !getcontext(&co_ctx), "getcontext");
		co_ctx.uc_stack.ss_sp = stack;
		co_ctx.uc_stack.ss_size = CO_STACK;
		co_ctx.uc_link = &co_main_ctx;
		makecontext(&co_ctx, co_body, 0);
		swapcontext(&co_main_ctx, &co_ctx); /* to its first switch */
		swapcontext(&co_main_ctx, &co_ctx); /* leak, then return */
		free(stack);
	}
}

/* 15 bytes at most: ESC [ 3 1 m, a newline, a quote, a backslash. */
#define HOSTILE_COMM "\x1b[31m\n\"\\evil\x07"

static void run_comm(void)
{
	int i;

	prctl(PR_SET_NAME, HOSTILE_COMM, 0, 0, 0);
	for (i = 0; i < 10; i++)
		leak_here();
}

int main(int argc, char **argv)
{
	const char *mode;
	long long n;

	lt_parse("hostile", argc, argv, USAGE);
	mode = lt_arg_str(0, NULL);
	if (!mode)
		lt_usage(USAGE);
	n = lt_arg(1, 0, 0, USAGE);
	if (!strcmp(mode, "comm")) /* named so before a tracer looks */
		prctl(PR_SET_NAME, HOSTILE_COMM, 0, 0, 0);
	lt_setup();
	lt_wait_go();
	if (!strcmp(mode, "threads"))
		run_threads(n ? n : 2000);
	else if (!strcmp(mode, "mmapstorm"))
		run_mmapstorm(n ? n : 2000);
	else if (!strcmp(mode, "coroutines"))
		run_coroutines(n ? n : 200);
	else if (!strcmp(mode, "comm"))
		run_comm();
	else
		lt_usage(USAGE);
	{
		struct lt_expect e[] = {
			{ "leak_here", "heap", (long long)n_kept * BLOCK,
			  n_kept },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
