// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/cli_check.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "unwind/unwind_procs.h"
#include "lib/log.h"
#include "export/pyroscope.h"
#include "lib/units.h"

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
	"      --sample BYTES      sample allocations: one every BYTES allocated on\n"
	"                          average (e.g. 512K), weighted so totals stay\n"
	"                          unbiased; much cheaper than tracing each one\n"
	"      --max-stacks N      distinct stacks the kernel can hold at once\n"
	"                          (default 131072; 8192 before Linux 6.1); stacks\n"
	"                          that hold nothing are freed after each report\n"
	"      --file-mappings     count file-backed mmaps too (default: only\n"
	"                          anonymous mappings and brk)\n"
	"      --folded FILE       write folded stacks (flame graph input) to FILE\n"
	"                          at every report\n"
	"      --json              one JSON object per report instead of text\n"
	"  -o, --output FILE       write the reports (text or --json) to FILE,\n"
	"                          not stdout; a command run by -c keeps stdout\n"
	"      --unwind MODE       native stacks: dwarf (default; .eh_frame CFI,\n"
	"                          frame pointers where a module has none) or fp\n"
	"                          (frame pointers only, the cheapest walk)\n"
	"\n"
	"Exports (written or pushed at every report and at exit):\n"
	"      --svg FILE          interactive flame graph of outstanding bytes\n"
	"      --svg-growth FILE   flame graph coloured by growth since a baseline:\n"
	"                          red grew, blue shrank, width is bytes now\n"
	"      --baseline DURATION the growth baseline is the first report at\n"
	"                          least DURATION after attach (default: the first)\n"
	"      --pprof FILE        gzip'd pprof profile (inuse_space, inuse_objects)\n"
	"      --pyroscope URL     push each report to Pyroscope at\n"
	"                          http://HOST[:PORT][/PATH]; at most 2 s per push,\n"
	"                          failures retried with backoff\n"
	"      --app-name NAME     Pyroscope application name (default: the\n"
	"                          command name, or leaktrace)\n"
	"      --label KEY=VALUE   extra Pyroscope label (repeatable)\n"
	"\n"
	"Python (CPython 3.8-3.13 frames are shown automatically):\n"
	"      --pymalloc          also probe PyObject_Malloc/Free: every Python\n"
	"                          object, not only pymalloc arenas (builds that\n"
	"                          call it, not LTO builds such as Debian's)\n"
	"      --objects           at every report, count live GC-tracked Python\n"
	"                          objects by type (like objgraph.show_growth),\n"
	"                          read from outside; top -T types by growth\n"
	"\n"
	"Allocator:\n"
	"      --lib PATH          probe the allocator in PATH instead of the one\n"
	"                          serving malloc (found in lookup order; -v says)\n"
	"      --symbol-prefix PFX allocator symbols start with PFX (e.g. je_)\n"
	"      --no-placement      probe allocator functions at their first\n"
	"                          instruction, not at the first one the kernel\n"
	"                          emulates (slower; to compare)\n"
	"      --no-sessions       one uprobe and one uretprobe per function,\n"
	"                          even where the kernel has uprobe sessions\n"
	"                          (6.13+, which skip the return of calls\n"
	"                          --sample leaves out)\n"
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
	"  sudo leaktrace -p 1234 --svg leak.svg --svg-growth growth.svg\n"
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
	OPT_PYMALLOC,
	OPT_SAMPLE,
	OPT_SVG,
	OPT_SVG_GROWTH,
	OPT_BASELINE,
	OPT_PPROF,
	OPT_PYROSCOPE,
	OPT_APP_NAME,
	OPT_LABEL,
	OPT_NO_PLACEMENT,
	OPT_NO_SESSIONS,
	OPT_MAX_STACKS,
	OPT_OBJECTS,
	OPT_UNWIND,
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
	{ "output", required_argument, NULL, 'o' },
	{ "lib", required_argument, NULL, OPT_LIB },
	{ "symbol-prefix", required_argument, NULL, OPT_SYMBOL_PREFIX },
	{ "file-mappings", no_argument, NULL, OPT_FILE_MAPPINGS },
	{ "pymalloc", no_argument, NULL, OPT_PYMALLOC },
	{ "objects", no_argument, NULL, OPT_OBJECTS },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "svg-growth", required_argument, NULL, OPT_SVG_GROWTH },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "pyroscope", required_argument, NULL, OPT_PYROSCOPE },
	{ "app-name", required_argument, NULL, OPT_APP_NAME },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "no-placement", no_argument, NULL, OPT_NO_PLACEMENT },
	{ "no-sessions", no_argument, NULL, OPT_NO_SESSIONS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
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

	/* Digits only: no blanks, no sign (strtol would take " +12"). */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A thread id stands for its process (the probes see whole processes). */
static long process_of(long id)
{
	char tgid[32];
	long owner;

	if (proc_status_field(id, "Tgid", tgid, sizeof(tgid)) ||
	    parse_long(tgid, 1, INT_MAX, &owner) || owner == id)
		return id;
	lt_info("%ld is a thread of process %ld: tracing the whole process", id,
		owner);
	return owner;
}

static int add_pid(struct options *o, const char *arg)
{
	long pid;
	int i;

	if (parse_long(arg, 1, INT_MAX, &pid))
		return usage_error("invalid PID '%s': expected a process ID",
				   arg);
	pid = process_of(pid);
	for (i = 0; i < o->n_pids; i++)
		if (o->pids[i] == pid)
			return 0; /* -p 5 -p 5 traces one process */
	if (o->n_pids == LT_MAX_PIDS)
		return usage_error("too many -p options (at most %s)", "64");
	o->pids[o->n_pids++] = pid;
	return 0;
}

static int add_label(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[128];

	if (!eq || !eq[1] || eq - arg >= (long)sizeof(key) ||
	    cli_check_printable(eq))
		return usage_error("invalid --label '%s': expected KEY=VALUE",
				   arg);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	if (!pyro_valid_key(key))
		return usage_error(
			"invalid --label '%s': KEY is letters, digits, '_' and '.'",
			arg);
	if (o->n_labels == LT_MAX_LABELS)
		return usage_error("too many --label options (at most %s)",
				   "32");
	o->labels[o->n_labels++] = arg;
	return 0;
}

static int set_app_name(struct options *o, const char *arg)
{
	const char *c;

	for (c = arg; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-.", *c))
			break;
	if (!*arg || *c)
		return usage_error(
			"invalid --app-name '%s': expected letters, digits, '_', '-' and '.'",
			arg);
	o->app_name = arg;
	return 0;
}

static int parse_export(struct options *o, int opt, const char *arg)
{
	struct pyro_url url;
	const char *why;

	switch (opt) {
	case OPT_SVG:
		o->svg = arg;
		return 0;
	case OPT_SVG_GROWTH:
		o->svg_growth = arg;
		return 0;
	case OPT_BASELINE:
		if (parse_duration_ns(arg, &o->baseline_ns))
			return usage_error(
				"invalid --baseline '%s': expected a duration, e.g. 60 or 5m",
				arg);
		o->baseline_set = true;
		return 0;
	case OPT_PPROF:
		o->pprof = arg;
		return 0;
	case OPT_PYROSCOPE:
		if (cli_check_printable(arg))
			return usage_error(
				"invalid --pyroscope URL '%s': control characters",
				arg);
		if (pyro_parse_url(arg, &url, &why)) {
			lt_error(
				"invalid --pyroscope URL '%s': %s (see leaktrace --help)",
				arg, why);
			return LT_EXIT_USAGE;
		}
		o->pyroscope = arg;
		return 0;
	case OPT_APP_NAME:
		return set_app_name(o, arg);
	default:
		return add_label(o, arg);
	}
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
	case 'o':
		o->output = arg;
		return 0;
	case OPT_UNWIND:
		if (unwind_parse_mode(arg, &o->unwind))
			return usage_error(
				"invalid --unwind '%s': expected dwarf or fp",
				arg);
		return 0;
	case OPT_FILE_MAPPINGS:
		o->file_mappings = true;
		return 0;
	case OPT_PYMALLOC:
		o->pymalloc = true;
		return 0;
	case OPT_OBJECTS:
		o->objects = true;
		return 0;
	case OPT_SAMPLE:
		if (parse_size(arg, &o->sample_bytes) || !o->sample_bytes ||
		    o->sample_bytes > (1ULL << 32))
			return usage_error(
				"invalid --sample '%s': expected a mean gap in bytes, e.g. 512K (at most 4G)",
				arg);
		return 0;
	case OPT_NO_PLACEMENT:
		o->no_placement = true;
		return 0;
	case OPT_NO_SESSIONS:
		o->no_sessions = true;
		return 0;
	case OPT_MAX_STACKS:
		if (parse_long(arg, 16, LT_MAX_STACKS_LIMIT, &o->max_stacks))
			return usage_error(
				"invalid --max-stacks '%s': expected a number from 16 to 4194304",
				arg);
		return 0;
	case OPT_LIB:
		o->lib = arg;
		return 0;
	case OPT_SYMBOL_PREFIX:
		o->symbol_prefix = arg;
		return 0;
	case OPT_SVG:
	case OPT_SVG_GROWTH:
	case OPT_BASELINE:
	case OPT_PPROF:
	case OPT_PYROSCOPE:
	case OPT_APP_NAME:
	case OPT_LABEL:
		return parse_export(o, opt, arg);
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		return -1;
	case 'V':
		printf("leaktrace %s\n", LEAKTRACE_VERSION);
		return -1;
	case ':':
		return usage_error("option %s needs an argument", arg);
	default:
		return usage_error("unknown option %s", arg);
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

	/*
	 * "+" stops at the first non-option so -c's argument stays whole;
	 * ":" and opterr = 0: we print the one error line ourselves.
	 */
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+:p:c:T:o:vhV", long_options,
				  NULL)) != -1) {
		err = parse_one(o, opt,
				opt == ':' || opt == '?' ? argv[optind - 1]
							 : optarg);
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
	if (o->baseline_set && !o->svg_growth)
		return usage_error("%s", "--baseline needs --svg-growth");
	if ((o->n_labels || o->app_name) && !o->pyroscope)
		return usage_error("%s",
				   "--label and --app-name need --pyroscope");
	if (o->symbol_prefix && !o->lib)
		lt_debug(
			"--symbol-prefix without --lib: looking in the module serving malloc");
	return 0;
}
