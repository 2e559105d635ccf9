/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Common protocol of the test targets: programs whose outstanding
 * allocations are known exactly, so a tracer's report can be checked.
 *
 *   target [--now] [--exit] [--linger] [positional arguments...]
 *
 * Without --now the target prints "ready <pid>" and blocks until SIGUSR1
 * (the go signal). It then runs its workload and prints one line of JSON
 * with the ground truth:
 *
 *   {"target":"NAME","expect":[{"func":F,"kind":"heap"|"mapped",
 *                               "bytes":B,"count":C},...]}
 *
 * bytes/count are what remains outstanding with F as the direct caller of
 * the allocator. With --exit it exits 0 right after that line (--linger:
 * 300 ms later, so that a tracer started with the target has read the
 * maps the loader made); otherwise it blocks until SIGUSR1 or SIGTERM and
 * exits 0.
 *
 * With LT_SELFCHECK=1 in the environment, a target that finds its workload
 * did not do what the scenario claims prints why on stderr and exits 3
 * (before the JSON line).
 *
 * Nothing here allocates after the go signal: output goes through write(2)
 * from stack buffers, and stdout gets a static stdio buffer just in case.
 */
#ifndef LT_TARGET_H
#define LT_TARGET_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A function whose allocations are attributed by name: keep it a frame. */
#define LT_LEAKFN __attribute__((noinline, noclone, used))

#define LT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define LT_MAX_POS   8
#define LT_MAX_FAILS 16
#define LT_JSON_MAX  8192

struct lt_expect {
	const char *func;
	const char *kind; /* "heap" or "mapped" */
	long long bytes;
	long long count;
};

static struct {
	const char *name;
	bool now;
	bool exit_after;
	bool linger;
	bool selfcheck;
	int npos;
	const char *pos[LT_MAX_POS];
	sigset_t sigs; /* SIGUSR1 and SIGTERM, blocked */
	int nfails;
	const char *fails[LT_MAX_FAILS];
} lt;

static char lt_stdout_buf[BUFSIZ];

static inline void lt_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= n;
	}
}

static inline void __attribute__((format(printf, 2, 3)))
lt_printfd(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	lt_write_all(fd, buf, n);
}

static inline void __attribute__((noreturn)) lt_usage(const char *usage)
{
	lt_printfd(2, "usage: %s [--now] [--exit] %s\n", lt.name, usage);
	exit(2);
}

/* Parse the common options; positional arguments are kept for lt_arg(). */
static inline void lt_parse(const char *name, int argc, char **argv,
			    const char *usage)
{
	int i;

	lt.name = name;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--now"))
			lt.now = true;
		else if (!strcmp(argv[i], "--exit"))
			lt.exit_after = true;
		else if (!strcmp(argv[i], "--linger"))
			lt.linger = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			lt_usage(usage);
		else if (lt.npos < LT_MAX_POS)
			lt.pos[lt.npos++] = argv[i];
		else
			lt_usage(usage);
	}
}

/* Positional argument idx as a number >= min, or def when absent. */
static inline long long lt_arg(int idx, long long def, long long min,
			       const char *usage)
{
	char *end;
	long long v;

	if (idx >= lt.npos)
		return def;
	errno = 0;
	v = strtoll(lt.pos[idx], &end, 0);
	if (errno || end == lt.pos[idx] || *end || v < min)
		lt_usage(usage);
	return v;
}

static inline const char *lt_arg_str(int idx, const char *def)
{
	return idx < lt.npos ? lt.pos[idx] : def;
}

/*
 * Everything that may allocate or move the break happens here, before the
 * go signal: stdio buffer, signal mask, environment, malloc's first use.
 */
static inline void lt_setup(void)
{
	const char *sc = getenv("LT_SELFCHECK");

	lt.selfcheck = sc && *sc && strcmp(sc, "0");
	setvbuf(stdout, lt_stdout_buf, _IOFBF, sizeof(lt_stdout_buf));

	sigemptyset(&lt.sigs);
	sigaddset(&lt.sigs, SIGUSR1);
	sigaddset(&lt.sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &lt.sigs, NULL)) {
		lt_printfd(2, "%s: sigprocmask: %s\n", lt.name,
			   strerror(errno));
		exit(1);
	}

	/* Initialise malloc (main arena, tcache, first sbrk) now. */
	free(malloc(1));
}

static inline int lt_wait_signal(void)
{
	int sig;

	while (sigwait(&lt.sigs, &sig))
		;
	return sig;
}

/* Print "ready <pid>" and wait for SIGUSR1, unless --now. */
static inline void lt_wait_go(void)
{
	if (lt.now)
		return;
	lt_printfd(1, "ready %d\n", (int)getpid());
	if (lt_wait_signal() == SIGTERM)
		exit(0);
}

/* Record a failed self-check (only acted upon with LT_SELFCHECK=1). */
static inline void lt_check(bool ok, const char *what)
{
	if (ok)
		return;
	if (lt.nfails < LT_MAX_FAILS)
		lt.fails[lt.nfails] = what;
	lt.nfails++;
}

static inline void lt_selfcheck_done(void)
{
	int i;

	if (!lt.selfcheck)
		return;
	if (!lt.nfails) {
		lt_printfd(2, "%s: selfcheck ok\n", lt.name);
		return;
	}
	for (i = 0; i < lt.nfails && i < LT_MAX_FAILS; i++)
		lt_printfd(2, "%s: selfcheck failed: %s\n", lt.name,
			   lt.fails[i]);
	exit(3);
}

/* Self-check verdict, then the ground truth as one JSON line. */
static inline void lt_report(const struct lt_expect *e, int n)
{
	char buf[LT_JSON_MAX];
	size_t len;
	int i, r;

	lt_selfcheck_done();

	r = snprintf(buf, sizeof(buf), "{\"target\":\"%s\",\"expect\":[",
		     lt.name);
	len = r;
	for (i = 0; i < n && len < sizeof(buf); i++) {
		r = snprintf(
			buf + len, sizeof(buf) - len,
			"%s{\"func\":\"%s\",\"kind\":\"%s\",\"bytes\":%lld,\"count\":%lld}",
			i ? "," : "", e[i].func, e[i].kind, e[i].bytes,
			e[i].count);
		len += r;
	}
	if (len < sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - len, "]}\n");
	if (len >= sizeof(buf)) {
		lt_printfd(2, "%s: expect line too long\n", lt.name);
		exit(1);
	}
	lt_write_all(1, buf, len);
}

static inline void lt_sleep_ms(long long ms);

/* With --exit, exit now; otherwise wait for SIGUSR1 or SIGTERM. */
static inline void __attribute__((noreturn)) lt_finish(void)
{
	if (!lt.exit_after)
		lt_wait_signal();
	if (lt.linger)
		lt_sleep_ms(300);
	exit(0);
}

static inline long lt_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline void lt_sleep_ms(long long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#endif /* LT_TARGET_H */
