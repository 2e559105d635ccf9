// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "units.h"

static const char usage_text[] =
	"Usage: leaktrace [OPTIONS] [INTERVAL [COUNT]]\n"
	"\n"
	"Trace heap allocations and memory mappings of live processes with eBPF\n"
	"and report the stacks whose outstanding memory keeps growing. Nothing is\n"
	"injected into the target and it is never stopped; probes go away when\n"
	"leaktrace exits.\n"
	"\n"
	"  INTERVAL  seconds between reports (default 10; units ms, s, m, h)\n"
	"  COUNT     number of reports before exiting (default: until stopped)\n"
	"\n"
	"Targets (default: every process, including ones started later):\n"
	"  -p, --pid PID           trace this process (repeatable)\n"
	"  -c, --command \"CMD ...\" run CMD with its arguments, traced from its\n"
	"                          first instruction; stop when it exits\n"
	"\n"
	"Reports:\n"
	"  -T, --top N             stacks to show per process (default 10)\n"
	"      --min-size BYTES    ignore allocations smaller than this (512, 4K)\n"
	"      --max-size BYTES    ignore allocations larger than this\n"
	"      --min-age DURATION  leave out allocations younger than this\n"
	"      --file-mappings     count file-backed mmaps too (default: only\n"
	"                          anonymous mappings and brk)\n"
	"      --folded FILE       write folded stacks (flame graph input) to FILE\n"
	"                          at every report\n"
	"      --json              one JSON object per report instead of text\n"
	"\n"
	"Allocator:\n"
	"      --lib PATH          probe the allocator in PATH instead of libc\n"
	"      --symbol-prefix PFX allocator symbols start with PFX (e.g. je_)\n"
	"\n"
	"  -v, --verbose           show what is attached where (twice: libbpf)\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n"
	"\n"
	"Ctrl-C or SIGTERM prints a final report and exits. Needs root (CAP_BPF\n"
	"and CAP_PERFMON) and a kernel >= 5.8 with BTF. See leaktrace(8).\n"
	"\n"
	"Examples:\n"
	"  sudo leaktrace -p 1234                 report every 10 s\n"
	"  sudo leaktrace -p 1234 --folded out.folded 30\n"
	"  sudo leaktrace -c \"./server --port 8080\" 5\n";

enum long_only {
	OPT_MIN_SIZE = 1000,
	OPT_MAX_SIZE,
	OPT_MIN_AGE,
	OPT_FOLDED,
	OPT_JSON,
	OPT_LIB,
	OPT_SYMBOL_PREFIX,
	OPT_FILE_MAPPINGS,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "command", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'T' },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "min-age", required_argument, NULL, OPT_MIN_AGE },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lib", required_argument, NULL, OPT_LIB },
	{ "symbol-prefix", required_argument, NULL, OPT_SYMBOL_PREFIX },
	{ "file-mappings", no_argument, NULL, OPT_FILE_MAPPINGS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	lt_error("%s (see leaktrace --help)", msg);
	return LT_EXIT_USAGE;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int add_pid(struct options *o, const char *arg)
{
	long pid;

	if (parse_long(arg, 1, INT_MAX, &pid))
		return usage_error("invalid PID '%s': expected a process ID",
				   arg);
	if (o->n_pids == LT_MAX_PIDS)
		return usage_error("too many -p options (at most %s)", "64");
	o->pids[o->n_pids++] = pid;
	return 0;
}

static int parse_one(struct options *o, int opt, const char *arg)
{
	long n;

	switch (opt) {
	case 'p':
		return add_pid(o, arg);
	case 'c':
		o->command = arg;
		return 0;
	case 'T':
		if (parse_long(arg, 1, 100000, &n))
			return usage_error(
				"invalid --top '%s': expected a positive number",
				arg);
		o->top = n;
		return 0;
	case OPT_MIN_SIZE:
		if (parse_size(arg, &o->min_size))
			return usage_error(
				"invalid --min-size '%s': expected bytes, e.g. 512 or 4K",
				arg);
		return 0;
	case OPT_MAX_SIZE:
		if (parse_size(arg, &o->max_size))
			return usage_error(
				"invalid --max-size '%s': expected bytes, e.g. 1M",
				arg);
		return 0;
	case OPT_MIN_AGE:
		if (parse_duration_ns(arg, &o->min_age_ns) || !o->min_age_ns)
			return usage_error(
				"invalid --min-age '%s': expected a duration, e.g. 30s",
				arg);
		return 0;
	case OPT_FOLDED:
		o->folded = arg;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_FILE_MAPPINGS:
		o->file_mappings = true;
		return 0;
	case OPT_LIB:
		o->lib = arg;
		return 0;
	case OPT_SYMBOL_PREFIX:
		o->symbol_prefix = arg;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		return -1;
	case 'V':
		printf("leaktrace %s\n", LEAKTRACE_VERSION);
		return -1;
	default:
		lt_error("unknown option (see leaktrace --help)");
		return LT_EXIT_USAGE;
	}
}

static int parse_positional(struct options *o, int argc, char **argv)
{
	long n;

	if (argc > 2)
		return usage_error("unexpected argument '%s'", argv[2]);
	if (argc >= 1 && (parse_duration_ns(argv[0], &o->interval_ns) ||
			  o->interval_ns < 1000000ULL))
		return usage_error(
			"invalid interval '%s': expected a duration of at least 1ms, e.g. 10 or 500ms",
			argv[0]);
	if (argc == 2) {
		if (parse_long(argv[1], 1, LONG_MAX, &n))
			return usage_error(
				"invalid count '%s': expected a positive number of reports",
				argv[1]);
		o->count = n;
	}
	return 0;
}

int parse_options(int argc, char **argv, struct options *o)
{
	int opt, err;

	memset(o, 0, sizeof(*o));
	o->interval_ns = 10ULL * 1000000000ULL;
	o->top = 10;
	o->max_size = UINT64_MAX;

	/* "+" stops at the first non-option so -c's argument stays whole. */
	while ((opt = getopt_long(argc, argv, "+p:c:T:vhV", long_options,
				  NULL)) != -1) {
		err = parse_one(o, opt, optarg);
		if (err)
			return err;
	}
	err = parse_positional(o, argc - optind, argv + optind);
	if (err)
		return err;
	if (o->command && o->n_pids)
		return usage_error("%s", "-c and -p cannot be combined");
	if (o->min_size > o->max_size)
		return usage_error("%s",
				   "--min-size is larger than --max-size");
	if (o->symbol_prefix && !o->lib)
		lt_debug("--symbol-prefix without --lib: looking in libc");
	return 0;
}
