// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The uprobe floor: what a uprobe hit costs by itself, with a BPF program
 * that only counts (bench/floor.bpf.c). Needs root.
 *
 *   uprobe_floor kinds [CALLS [ROUNDS]]
 *	An entry probe on functions that start with one instruction of each
 *	kind, calls untraced and traced in turn, medians: the cost per hit,
 *	whether the kernel emulated the instruction (cheap) or single-stepped
 *	it, and whether that is what the table in user/placement.c says for
 *	the running kernel. Exits 1 if it is not.
 *
 *   uprobe_floor run [--entry] [--no-returns] [--frames N] CMD [ARGS...]
 *	Run CMD with count-only probes where leaktrace puts its own in libc:
 *	entry probes on the allocator functions, return probes on those that
 *	allocate, at the places user/placement.c chooses (--entry: at the
 *	functions' entries; --no-returns: entry probes only, the traps
 *	sampled mode cannot avoid with uprobe sessions; --frames N: each
 *	return also makes N user reads and N map lookups, a walk's least
 *	work per frame). CMD's output is left alone; the hit counts go to
 *	stderr.
 *
 *   uprobe_floor count PID...
 *	The same probes, placed, on running processes (sharing our libc)
 *	until SIGINT or SIGTERM; then prints "ENTRIES RETURNS" on stdout:
 *	how many allocator calls the processes made meanwhile.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "sym/elfsym.h"
#include "kernel/placement.h"

/* ---- functions starting with one instruction of each kind ----------- */

typedef long (*kind_fn)(long);

#define KIND_FN(name, body)                                                    \
	long name(long);                                                       \
	__asm__(".text\n.globl " #name "\n.type " #name ", @function\n" #name  \
		":\n" body "\nret\n.size " #name ", .-" #name "\n")

__asm__(".data\nfloor_flag: .byte 0\n.text\nfloor_leaf: ret\n");
KIND_FN(k_endbr64, ".byte 0xf3, 0x0f, 0x1e, 0xfa");
KIND_FN(k_test, "test %rdi, %rdi");
KIND_FN(k_mov, "mov %rdi, %rax");
KIND_FN(k_cmp_rip, "cmpb $0, floor_flag(%rip)");
KIND_FN(k_sub_rsp, "sub $8, %rsp\nadd $8, %rsp");
KIND_FN(k_push, "push %rbp\npop %rbp");
KIND_FN(k_push_r12, "push %r12\npop %r12");
KIND_FN(k_je8, ".byte 0x74, 0x00");
KIND_FN(k_jne32, ".byte 0x0f, 0x85, 0, 0, 0, 0");
KIND_FN(k_jmp8, ".byte 0xeb, 0x00");
KIND_FN(k_call, "call floor_leaf");
KIND_FN(k_nop, "nop");
KIND_FN(k_nop2, ".byte 0x66, 0x90");
KIND_FN(k_nop5, ".byte 0x0f, 0x1f, 0x44, 0, 0");
KIND_FN(k_nop8, ".byte 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0");
KIND_FN(k_nopw_cs, ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0");

struct kind {
	const char *sym;
	kind_fn fn;
	const char *what;
	int len; /* bytes of the first instruction */
};

/* clang-format off */
#define KIND(fn, what, len) { #fn, fn, what, len }
/* clang-format on */

static const struct kind kinds[] = {
	KIND(k_endbr64, "endbr64", 4),
	KIND(k_test, "test rdi, rdi", 3),
	KIND(k_mov, "mov rax, rdi", 3),
	KIND(k_cmp_rip, "cmp byte [rip], 0", 7),
	KIND(k_sub_rsp, "sub rsp, 8", 4),
	KIND(k_push, "push rbp", 1),
	KIND(k_push_r12, "push r12", 2),
	KIND(k_je8, "je rel8", 2),
	KIND(k_jne32, "jne rel32", 6),
	KIND(k_jmp8, "jmp rel8", 2),
	KIND(k_call, "call rel32", 5),
	KIND(k_nop, "nop", 1),
	KIND(k_nop2, "66 nop", 2),
	KIND(k_nop5, "nopl, 5 bytes", 5),
	KIND(k_nop8, "nopl, 8 bytes", 8),
	KIND(k_nopw_cs, "cs nopw, 10 bytes", 10),
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- probes ---------------------------------------------------------- */

static int self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static struct bpf_link *attach(struct bpf_program *prog, bool ret, pid_t pid,
			       const char *path, uint64_t offset, int *err)
{
	struct bpf_link *link;

	link = bpf_program__attach_uprobe(prog, ret, pid, path, offset);
	*err = libbpf_get_error(link);
	return *err ? NULL : link;
}

/* Hits in slot (0: entries, 1: returns) on all CPUs; the slot is reset. */
static unsigned long long take_hits(struct floor_bpf *skel, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(),
	    fd = bpf_map__fd(skel->maps.hits);
	unsigned long long sum = 0;
	__u64 *v;
	int i;

	if (ncpu <= 0)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(fd, &slot, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	memset(v, 0, ncpu * sizeof(*v));
	bpf_map_update_elem(fd, &slot, v, BPF_ANY);
	free(v);
	return sum;
}

static unsigned int frame_work; /* --frames */

static struct floor_bpf *load(void)
{
	struct floor_bpf *skel = floor_bpf__open();

	if (skel) {
		skel->rodata->frame_work = frame_work;
		if (floor_bpf__load(skel)) {
			floor_bpf__destroy(skel);
			skel = NULL;
		}
	}
	if (!skel)
		fprintf(stderr, "uprobe_floor: cannot load BPF: %s (root?)\n",
			strerror(errno));
	return skel;
}

/* ---- kinds ----------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Nanoseconds per call of fn. */
static double time_calls(kind_fn fn, long calls)
{
	kind_fn volatile call = fn;
	double start = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		call(i);
	return (now_ns() - start) / calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

#define MAX_ROUNDS 99

struct kind_result {
	double ns;	/* per hit, over the untraced call */
	bool refused;	/* the kernel would not take the probe */
	bool predicted; /* the table says emulated */
	int err;
};

/*
 * Untraced and traced calls alternate; with ret, a return probe is added
 * to the entry probe.
 */
static void measure(struct floor_bpf *skel, const char *path, uint64_t offset,
		    kind_fn fn, long calls, int rounds, bool ret,
		    struct kind_result *r)
{
	double base[MAX_ROUNDS], traced[MAX_ROUNDS];
	struct bpf_link *entry, *exit_link = NULL;
	int i;

	for (i = 0; i < rounds; i++) {
		base[i] = time_calls(fn, calls);
		entry = attach(skel->progs.count_entry, false, 0, path, offset,
			       &r->err);
		if (entry && ret)
			exit_link = attach(skel->progs.count_return, true, 0,
					   path, offset, &r->err);
		if (!entry || (ret && !exit_link)) {
			bpf_link__destroy(entry);
			r->refused = true;
			return;
		}
		traced[i] = time_calls(fn, calls);
		bpf_link__destroy(exit_link);
		bpf_link__destroy(entry);
		if (take_hits(skel, 0) != (unsigned long long)calls)
			fprintf(stderr, "uprobe_floor: missed hits at 0x%llx\n",
				(unsigned long long)offset);
		take_hits(skel, 1);
	}
	r->ns = median(traced, rounds) - median(base, rounds);
}

static void show_bytes(const uint8_t *b, int len, char *buf, size_t size)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < len && n + 4 < size; i++)
		n += snprintf(buf + n, size - n, "%s%02x", i ? " " : "", b[i]);
}

static int report_kinds(const struct kind_result *r, double push_ret,
			unsigned int kver)
{
	double cheapest = 1e18;
	int mismatches = 0;
	size_t i;

	for (i = 0; i < N_KINDS; i++)
		if (!r[i].refused && r[i].ns < cheapest)
			cheapest = r[i].ns;
	printf("uprobe floor: one count-only entry uprobe, by first instruction (kernel %u.%u)\n",
	       kver >> 16, (kver >> 8) & 0xff);
	printf("%-20s %-30s %9s  %-14s %s\n", "instruction", "bytes", "ns/hit",
	       "measured", "table");
	for (i = 0; i < N_KINDS; i++) {
		const struct kind *k = &kinds[i];
		bool fast = !r[i].refused && r[i].ns < 3 * cheapest;
		bool wrong = !r[i].refused && fast != r[i].predicted;
		char bytes[64];

		show_bytes((const uint8_t *)k->fn, k->len, bytes,
			   sizeof(bytes));
		if (r[i].refused)
			printf("%-20s %-30s %9s  %-14s %s\n", k->what, bytes,
			       "-", "refused",
			       r[i].predicted ? "emulated" : "not emulated");
		else
			printf("%-20s %-30s %9.0f  %-14s %s%s\n", k->what,
			       bytes, r[i].ns,
			       fast ? "emulated" : "single-stepped",
			       r[i].predicted ? "emulated" : "single-stepped",
			       wrong ? "  MISMATCH" : "");
		mismatches += wrong;
	}
	if (push_ret > 0)
		printf("%-20s %-30s %9.0f  (return probe on push rbp, over the entry probe)\n",
		       "uretprobe", "", push_ret);
	return mismatches;
}

static int run_kinds(long calls, int rounds)
{
	unsigned int kver = placement_kernel();
	struct kind_result r[N_KINDS], with_ret;
	const char *names[N_KINDS];
	uint64_t offsets[N_KINDS];
	struct floor_bpf *skel;
	char path[PATH_MAX];
	double push_ret = 0;
	size_t i;
	int err;

	for (i = 0; i < N_KINDS; i++)
		names[i] = kinds[i].sym;
	err = self_path(path, sizeof(path));
	if (!err)
		err = elf_function_offsets(path, names, N_KINDS, offsets);
	if (err) {
		fprintf(stderr, "uprobe_floor: cannot read %s: %s\n", path,
			strerror(-err));
		return 1;
	}
	skel = load();
	if (!skel)
		return 1;
	for (i = 0; i < N_KINDS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].predicted = placement_emulated(
			(const uint8_t *)kinds[i].fn, kinds[i].len, kver);
		measure(skel, path, offsets[i], kinds[i].fn, calls, rounds,
			false, &r[i]);
		if (!strcmp(kinds[i].sym, "k_push")) {
			memset(&with_ret, 0, sizeof(with_ret));
			measure(skel, path, offsets[i], kinds[i].fn, calls,
				rounds, true, &with_ret);
			if (!with_ret.refused)
				push_ret = with_ret.ns - r[i].ns;
		}
	}
	floor_bpf__destroy(skel);
	return report_kinds(r, push_ret, kver) ? 1 : 0;
}

/* ---- run: count-only probes where leaktrace puts its own ------------- */

enum { N_ALLOC = 10, FREE_INDEX = 9 };

static const char *const alloc_names[N_ALLOC] = {
	"malloc",	  "calloc",	   "realloc",  "reallocarray",
	"posix_memalign", "aligned_alloc", "memalign", "valloc",
	"pvalloc",	  "free",
};

/* As in user/kernel/probes.c: argument registers each entry program reads. */
static const int alloc_nargs[N_ALLOC] = { 1, 2, 2, 3, 3, 2, 2, 1, 1, 1 };

/* The libc we (and so the command) use. */
static int find_libc(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/'), *nl;

		if (!p || !strstr(line, " r-xp ") || !strstr(p, "/libc.so"))
			continue;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		snprintf(buf, len, "%s", p);
		err = 0;
	}
	fclose(f);
	return err;
}

/* Where to probe each function (0: absent or an alias, not probed). */
static int probe_offsets(const char *libc, bool at_entry, uint64_t *where)
{
	struct placement p[N_ALLOC];
	uint64_t entries[N_ALLOC];
	int nargs[N_ALLOC], i, j, n = 0, err;

	err = elf_function_offsets(libc, alloc_names, N_ALLOC, where);
	if (err)
		return err;
	for (i = 0; i < N_ALLOC; i++)
		for (j = 0; j < i; j++)
			if (where[i] && where[i] == where[j])
				where[i] = 0;
	for (i = 0; i < N_ALLOC; i++)
		if (where[i]) {
			entries[n] = where[i];
			nargs[n++] = alloc_nargs[i];
		}
	if (at_entry || probe_placements(libc, entries, nargs, n, p))
		return 0;
	for (i = 0, j = 0; i < N_ALLOC; i++)
		if (where[i])
			where[i] = p[j++].offset;
	return 0;
}

#define MAX_COUNT_PIDS 16

struct run_state {
	struct floor_bpf *skel;
	struct bpf_link *links[2 * N_ALLOC * MAX_COUNT_PIDS];
	int n_links;
	bool no_returns;
};

static int attach_libc(struct run_state *s, const char *libc, pid_t pid,
		       const uint64_t *where)
{
	int i, err = 0;

	for (i = 0; i < N_ALLOC && !err; i++) {
		struct bpf_link *l;

		if (!where[i])
			continue;
		if (i != FREE_INDEX && !s->no_returns) {
			l = attach(s->skel->progs.count_return, true, pid, libc,
				   where[i], &err);
			if (!l)
				break;
			s->links[s->n_links++] = l;
		}
		l = attach(s->skel->progs.count_entry, false, pid, libc,
			   where[i], &err);
		if (l)
			s->links[s->n_links++] = l;
	}
	return err;
}

static pid_t spawn_waiting(char **argv, int *go)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* libc's path, where to probe in it, and the count-only program loaded. */
static int prepare_run(struct run_state *s, bool at_entry, char *libc,
		       uint64_t *where)
{
	int err = find_libc(libc, PATH_MAX);

	if (!err)
		err = probe_offsets(libc, at_entry, where);
	if (err) {
		fprintf(stderr,
			"uprobe_floor: cannot find libc's allocator: %s\n",
			strerror(-err));
		return -1;
	}
	s->skel = load();
	return s->skel ? 0 : -1;
}

static int run_traced(bool at_entry, bool no_returns, char **argv)
{
	struct run_state s = { .no_returns = no_returns };
	uint64_t where[N_ALLOC];
	char libc[PATH_MAX];
	int err, go, status, i;
	pid_t pid;

	if (prepare_run(&s, at_entry, libc, where))
		return 1;
	pid = spawn_waiting(argv, &go);
	if (pid < 0)
		return 1;
	err = attach_libc(&s, libc, pid, where);
	if (err)
		fprintf(stderr, "uprobe_floor: cannot attach: %s\n",
			strerror(-err));
	else if (write(go, "g", 1) != 1)
		err = -errno;
	close(go);
	status = wait_child(pid);
	fprintf(stderr, "uprobe_floor: %llu entries, %llu returns\n",
		take_hits(s.skel, 0), take_hits(s.skel, 1));
	for (i = 0; i < s.n_links; i++)
		bpf_link__destroy(s.links[i]);
	floor_bpf__destroy(s.skel);
	return err ? 1 : status;
}

/* Counts allocator calls of running processes until SIGINT or SIGTERM. */
static int count_pids(int npids, char **pids)
{
	struct run_state s = { 0 };
	uint64_t where[N_ALLOC];
	char libc[PATH_MAX];
	sigset_t set;
	int err = 0, sig, i;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Blocked before attaching, so an early signal still ends us cleanly. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (prepare_run(&s, false, libc, where))
		return 1;
	for (i = 0; i < npids && !err; i++)
		err = attach_libc(&s, libc, atoi(pids[i]), where);
	if (err)
		fprintf(stderr, "uprobe_floor: cannot attach to %s: %s\n",
			pids[i - 1], strerror(-err));
	else
		sigwait(&set, &sig);
	printf("%llu %llu\n", take_hits(s.skel, 0), take_hits(s.skel, 1));
	for (i = 0; i < s.n_links; i++)
		bpf_link__destroy(s.links[i]);
	floor_bpf__destroy(s.skel);
	return err ? 1 : 0;
}

/* The table says which probes the kernel refused; libbpf need not. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: uprobe_floor kinds [CALLS [ROUNDS]]\n"
		"       uprobe_floor run [--entry] [--no-returns] [--frames N] CMD [ARGS...]\n"
		"       uprobe_floor count PID...\n");
	return 2;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (argc >= 2 && !strcmp(argv[1], "kinds")) {
		long calls = argc > 2 ? atol(argv[2]) : 50000;
		int rounds = argc > 3 ? atoi(argv[3]) : 3;

		if (calls < 1 || rounds < 1 || rounds > MAX_ROUNDS)
			return usage();
		return run_kinds(calls, rounds);
	}
	if (argc >= 3 && !strcmp(argv[1], "run")) {
		bool at_entry = false, no_returns = false;
		int i = 2;

		for (; i < argc && argv[i][0] == '-'; i++) {
			if (!strcmp(argv[i], "--entry"))
				at_entry = true;
			else if (!strcmp(argv[i], "--no-returns"))
				no_returns = true;
			else if (!strcmp(argv[i], "--frames") && i + 1 < argc &&
				 atoi(argv[i + 1]) >= 0 &&
				 atoi(argv[i + 1]) <= 64)
				frame_work = (unsigned int)atoi(argv[++i]);
			else
				return usage();
		}
		if (i == argc)
			return usage();
		return run_traced(at_entry, no_returns, argv + i);
	}
	if (argc >= 3 && argc - 2 <= MAX_COUNT_PIDS &&
	    !strcmp(argv[1], "count"))
		return count_pids(argc - 2, argv + 2);
	return usage();
}
