// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "lib/proc.h"
#include "kernel/kmaps.h"
#include "kernel/links.h"
#include "kernel/loader.h"
#include "kernel/spawn.h"
#include "kernel/tracefs.h"
#include "kernel/uprobe_session.h"
#include "lib/env.h"
#include "lib/log.h"

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON   38
#define CAP_BPF	      39

/* The inode of the initial PID namespace (the kernel's PROC_PID_INIT_INO). */
#define PID_NS_INIT_INO 0xEFFFFFFCULL

static struct bpf_program *entry_prog(const struct leaktrace_bpf *skel,
				      enum lt_func f)
{
	struct bpf_program *progs[LT_F_NR] = {
		[LT_F_MALLOC] = skel->progs.malloc_entry,
		[LT_F_CALLOC] = skel->progs.calloc_entry,
		[LT_F_REALLOC] = skel->progs.realloc_entry,
		[LT_F_REALLOCARRAY] = skel->progs.reallocarray_entry,
		[LT_F_POSIX_MEMALIGN] = skel->progs.posix_memalign_entry,
		[LT_F_ALIGNED_ALLOC] = skel->progs.aligned_alloc_entry,
		[LT_F_MEMALIGN] = skel->progs.memalign_entry,
		[LT_F_VALLOC] = skel->progs.valloc_entry,
		[LT_F_PVALLOC] = skel->progs.pvalloc_entry,
		[LT_F_FREE] = skel->progs.free_entry,
	};
	return progs[f];
}

static bool has_capability(int cap)
{
	unsigned long long eff = 0;
	char value[64];

	if (proc_status_field(0, "CapEff", value, sizeof(value)) ||
	    sscanf(value, "%llx", &eff) != 1)
		return false;
	return eff & (1ULL << cap);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int check_system(void)
{
	if (!has_capability(CAP_SYS_ADMIN) &&
	    !(has_capability(CAP_BPF) && has_capability(CAP_PERFMON))) {
		lt_error(
			"permission denied: tracing needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); run it with sudo");
		return -EPERM;
	}
	if (!kernel_at_least(5, 8)) {
		lt_error(
			"kernel too old: leaktrace needs Linux 5.8 or newer with BTF");
		return -ENOTSUP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		lt_error(
			"kernel BTF missing (/sys/kernel/btf/vmlinux): leaktrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Since 6.1 hash maps can allocate elements at run time from tracing
 * programs; before that only preallocated maps are safe there.
 */
/* --unwind: the walk, its loop, and room for the tables' rows. */
static void unwind_configure(struct leaktrace_bpf *skel,
			     const struct options *opts)
{
	bool dwarf = opts->unwind == UNWIND_DWARF;
	uint32_t rows = unwind_rows_max(!opts->n_pids && !opts->command);

	skel->rodata->unwind_dwarf = dwarf;
	skel->rodata->unwind_bpf_loop = dwarf && unwind_want_bpf_loop();
	/* Benchmarks of the walk itself turn the memo of the last one off. */
	skel->rodata->unwind_memo = !env_flag("LEAKTRACE_NO_WALK_MEMO");
	skel->rodata->unwind_find_vma = dwarf && unwind_want_find_vma();
	bpf_map__set_max_entries(skel->maps.unwind_rows, dwarf ? rows : 1);
	bpf_map__set_max_entries(skel->maps.unwind_index,
				 dwarf ? unwind_index_max(rows) : 1);
	if (!dwarf) {
		bpf_map__set_max_entries(skel->maps.unwind_procs, 1);
		bpf_map__set_max_entries(skel->maps.unwind_files, 1);
	}
	if (!dwarf)
		lt_debug("unwind: fp, frame pointers only");
	else
		lt_debug(
			"unwind: dwarf, walk in %s%s%s, room for %u rows (%u KiB, index %u KiB)",
			skel->rodata->unwind_bpf_loop ? "bpf_loop"
						      : "a bounded loop",
			skel->rodata->unwind_find_vma ? ", vmas by find_vma"
						      : "",
			skel->rodata->unwind_memo ? "" : ", no walk memo", rows,
			(unsigned int)(rows * sizeof(struct lt_unwind_row) /
				       1024),
			unwind_index_max(rows) / 256);
}

/*
 * In a PID namespace (a container) the kernel side names processes by
 * their PIDs there, as leaktrace sees them; processes of other namespaces
 * cannot be named and are not traced. The initial namespace keeps the
 * cheaper host PIDs.
 */
static void set_pid_namespace(struct leaktrace_bpf *skel)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st)) {
		lt_debug("cannot stat /proc/self/ns/pid (%s): host PIDs",
			 strerror(errno));
		return;
	}
	if (st.st_ino == PID_NS_INIT_INO)
		return;
	/* The helper compares the kernel's dev_t, not stat's encoding. */
	skel->rodata->pidns_dev =
		(uint64_t)major(st.st_dev) << 20 | minor(st.st_dev);
	skel->rodata->pidns_ino = st.st_ino;
	lt_debug("in PID namespace %llu: its PIDs, its processes only",
		 (unsigned long long)st.st_ino);
}

static void size_maps(struct leaktrace_bpf *skel, long max_stacks)
{
	if (!kernel_at_least(6, 1)) {
		bpf_map__set_max_entries(skel->maps.allocs, 1 << 18);
		bpf_map__set_max_entries(skel->maps.stacks, 1 << 13);
		bpf_map__set_max_entries(skel->maps.stats, 1 << 15);
	} else {
		bpf_map__set_map_flags(skel->maps.allocs, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.stacks, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.stats, BPF_F_NO_PREALLOC);
	}
	if (max_stacks)
		bpf_map__set_max_entries(skel->maps.stacks, max_stacks);
}

/*
 * Tables for --sample, at the midpoints of their buckets: -ln(u) for
 * exponential gaps, g(x) = x / (1 - exp(-x)) for block weights.
 */
static void set_sampling(struct leaktrace_bpf *skel, uint64_t period)
{
	int i;

	skel->rodata->sample_bytes = period;
	for (i = 0; i < LT_SAMPLE_TABLE; i++) {
		double u = (i + 0.5) / LT_SAMPLE_TABLE;
		double x = (i + 0.5) * LT_SAMPLE_XMAX / LT_SAMPLE_TABLE;

		skel->rodata->neglog_q16[i] = (uint32_t)(-log(u) * 65536.0);
		skel->rodata->gain_q16[i] =
			(uint32_t)(x / -expm1(-x) * 65536.0);
	}
}

static uint64_t epoch_for(uint64_t min_age_ns)
{
	uint64_t epoch = min_age_ns / 4;

	return epoch < 100000000ULL ? 100000000ULL : epoch;
}

/*
 * Uprobe sessions where the kernel has them (6.13+): one program for every
 * allocator function but free, returns trapped only when needed, and
 * free's entry program on a link of its own (it never wants the return).
 * Else one entry program per function and a return program shared by all.
 */
static void choose_probe_programs(struct tracer *t)
{
	struct leaktrace_bpf *skel = t->skel;
	int f;

	t->sessions = !t->opts->no_sessions && uprobe_sessions_supported();
	skel->rodata->use_sessions = t->sessions;
	bpf_program__set_autoload(skel->progs.alloc_session, t->sessions);
	bpf_program__set_autoload(skel->progs.alloc_return, !t->sessions);
	for (f = 0; f < LT_F_NR; f++)
		bpf_program__set_autoload(entry_prog(skel, f),
					  !t->sessions || f == LT_F_FREE);
	if (t->sessions) {
		bpf_program__set_expected_attach_type(skel->progs.alloc_session,
						      LT_ATTACH_UPROBE_SESSION);
		bpf_program__set_expected_attach_type(skel->progs.free_entry,
						      LT_ATTACH_UPROBE_MULTI);
	}
	lt_debug(
		"allocator probes: %s",
		t->sessions
			? "uprobe sessions, two links per library (free's apart)"
			: "a uprobe and a uretprobe per function");
}

/* The per-syscall tracepoint programs and their events. */
#define SYSCALL_EVENTS TRACER_SYSCALL_EVENTS

static const char *const syscall_event_names[SYSCALL_EVENTS] = {
	"sys_enter_mmap",  "sys_enter_munmap",	     "sys_enter_mremap",
	"sys_enter_brk",   "sys_enter_rt_sigreturn", "sys_exit_mmap",
	"sys_exit_mremap", "sys_exit_brk",
};

static void syscall_event_progs(const struct leaktrace_bpf *skel,
				struct bpf_program **progs)
{
	struct bpf_program *p[SYSCALL_EVENTS] = {
		skel->progs.sys_enter_mmap,
		skel->progs.sys_enter_munmap,
		skel->progs.sys_enter_mremap,
		skel->progs.sys_enter_brk,
		skel->progs.sys_enter_rt_sigreturn,
		skel->progs.sys_exit_mmap,
		skel->progs.sys_exit_mremap,
		skel->progs.sys_exit_brk,
	};

	memcpy(progs, p, sizeof(p));
}

/*
 * Mapping syscalls: per-syscall tracepoints where the kernel gives a
 * tracepoint program the user's registers (bpf_task_pt_regs, 5.15+), so
 * no program runs for other syscalls (a trapped return's uretprobe
 * syscall among them). Else the raw tracepoints, which see every one.
 */
static void choose_syscall_programs(struct tracer *t)
{
	struct bpf_program *progs[SYSCALL_EVENTS];
	const char *why = NULL;
	int err;

	if (env_flag("LEAKTRACE_RAW_SYSCALLS"))
		why = "LEAKTRACE_RAW_SYSCALLS is set";
	else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
					 BPF_FUNC_task_pt_regs, NULL) != 1)
		why = "no bpf_task_pt_regs (before 5.15)";
	else if ((err = tracefs_event_ids("syscalls", syscall_event_names,
					  SYSCALL_EVENTS,
					  t->syscall_event_ids)))
		why = strerror(-err);
	t->syscall_events = !why;
	syscall_event_progs(t->skel, progs);
	for (int i = 0; i < SYSCALL_EVENTS; i++)
		bpf_program__set_autoload(progs[i], t->syscall_events);
	bpf_program__set_autoload(t->skel->progs.sys_enter, !t->syscall_events);
	bpf_program__set_autoload(t->skel->progs.sys_exit, !t->syscall_events);
	if (why)
		lt_debug(
			"mapping syscalls: raw syscall tracepoints, every syscall (per-syscall events: %s)",
			why);
	else
		lt_debug("mapping syscalls: per-syscall tracepoints");
}

/*
 * The current task's typed pointer (5.11+): its ids, its image and its
 * pending uretprobe returns are then plain loads, not helper calls.
 */
static void choose_task_reads(struct leaktrace_bpf *skel)
{
	skel->rodata->task_btf =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
					BPF_FUNC_get_current_task_btf,
					NULL) == 1;
}

/*
 * Threads' states in task storage where every program type of ours may
 * use it: no hash lookup per call, freed with the thread, no eviction.
 * Else the LRU hash; the map not used is made as small as it can be.
 */
static void choose_thread_store(struct leaktrace_bpf *skel)
{
	const char *why = NULL;

	if (env_flag("LEAKTRACE_NO_TASK_STORAGE"))
		why = "LEAKTRACE_NO_TASK_STORAGE is set";
	else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) !=
			 1 ||
		 libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
					 BPF_FUNC_task_storage_get,
					 NULL) != 1 ||
		 libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
					 BPF_FUNC_task_storage_get, NULL) != 1)
		why = "the kernel lacks it for uprobes and tracepoints";
	skel->rodata->use_task_storage = !why;
	if (why) {
		bpf_map__set_autocreate(skel->maps.thread_store, false);
		lt_debug(
			"thread states: an LRU hash of %u threads (task storage: %s)",
			bpf_map__max_entries(skel->maps.threads), why);
	} else {
		bpf_map__set_max_entries(skel->maps.threads, 1);
		lt_debug("thread states: task storage");
	}
}

/*
 * Freed blocks kept as slots for their address's next block, claimed by
 * compare-and-swap and swept by a syscall program (5.14+ for all three);
 * else every free deletes its entry.
 */
static void choose_block_reuse(struct leaktrace_bpf *skel)
{
	const char *why = NULL;

	if (env_flag("LEAKTRACE_NO_BLOCK_REUSE"))
		why = "LEAKTRACE_NO_BLOCK_REUSE is set";
	else if (!kernel_at_least(5, 14) ||
		 libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) != 1 ||
		 libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL,
					 BPF_FUNC_for_each_map_elem, NULL) != 1)
		why = "the kernel lacks syscall programs (5.14)";
	skel->rodata->reuse_blocks = !why;
	bpf_program__set_autoload(skel->progs.sweep_blocks, !why);
	if (why)
		lt_debug("freed blocks: deleted at each free (%s)", why);
	else
		lt_debug(
			"freed blocks: kept for their address's next block, swept");
}

int loader_open(struct tracer *t, const struct options *opts)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->child_go_fd = t->child_err_fd = -1;
	err = check_system();
	if (err)
		return err;

	t->skel = leaktrace_bpf__open();
	if (!t->skel) {
		lt_error("cannot open the BPF program: %s", strerror(errno));
		return -errno;
	}
	t->skel->rodata->system_wide = !opts->n_pids && !opts->command;
	t->skel->rodata->self_tgid = getpid();
	set_pid_namespace(t->skel);
	t->skel->rodata->min_size = opts->min_size;
	t->skel->rodata->max_size = opts->max_size;
	t->skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	if (opts->sample_bytes)
		set_sampling(t->skel, opts->sample_bytes);
	if (opts->min_age_ns)
		t->skel->rodata->epoch_ns = epoch_for(opts->min_age_ns);
	size_maps(t->skel, opts->max_stacks);
	choose_probe_programs(t);
	choose_syscall_programs(t);
	choose_thread_store(t->skel);
	choose_task_reads(t->skel);
	choose_block_reuse(t->skel);
	unwind_configure(t->skel, opts);

	err = leaktrace_bpf__load(t->skel);
	if (err) {
		lt_error(
			"cannot load the BPF program into the kernel: %s (run with -vv for the verifier log)",
			strerror(-err));
		return err;
	}
	t->maps = kmaps_new(t->skel);
	if (!t->maps) {
		lt_error("out of memory");
		return -ENOMEM;
	}
	return 0;
}

uint64_t loader_epoch_ns(const struct tracer *t)
{
	return t->skel->rodata->epoch_ns;
}

static int keep_tracepoint(struct tracer *t, struct bpf_program *prog,
			   struct bpf_link *link)
{
	int err = libbpf_get_error(link);

	if (err) {
		lt_error("cannot attach tracepoint %s: %s",
			 bpf_program__section_name(prog), strerror(-err));
		return err;
	}
	return links_keep(t, link, -1, 0);
}

/* A program on the perf event of trace event id (every CPU, every task). */
static struct bpf_link *attach_trace_event(struct bpf_program *prog, int id)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (unsigned int)id,
	};
	struct bpf_link *link;
	int fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1,
			      PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return NULL; /* errno says why, as for libbpf's own */
	link = bpf_program__attach_perf_event(prog, fd);
	if (!link) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return link;
}

static int attach_syscall_events(struct tracer *t)
{
	struct bpf_program *progs[SYSCALL_EVENTS];

	syscall_event_progs(t->skel, progs);
	for (int i = 0; i < SYSCALL_EVENTS; i++) {
		int err = keep_tracepoint(
			t, progs[i],
			attach_trace_event(progs[i], t->syscall_event_ids[i]));

		if (err)
			return err;
	}
	return 0;
}

int loader_attach_tracepoints(struct tracer *t)
{
	struct bpf_program *progs[] = {
		t->skel->progs.process_exit,   t->skel->progs.process_fork,
		t->skel->progs.signal_deliver, t->skel->progs.unwind_exec,
		t->skel->progs.process_exec,   t->skel->progs.sys_enter,
		t->skel->progs.sys_exit,
	};
	size_t n = sizeof(progs) / sizeof(progs[0]);
	int err;

	if (t->syscall_events) {
		n -= 2; /* the raw syscall tracepoints are not loaded */
		err = attach_syscall_events(t);
		if (err)
			return err;
	}
	for (size_t i = 0; i < n; i++) {
		err = keep_tracepoint(t, progs[i],
				      bpf_program__attach(progs[i]));
		if (err)
			return err;
	}
	return 0;
}

struct bpf_program *loader_entry_prog(const struct tracer *t, enum lt_func f)
{
	return entry_prog(t->skel, f);
}

struct bpf_program *loader_return_prog(const struct tracer *t)
{
	return t->skel->progs.alloc_return;
}

int loader_session_prog_fd(const struct tracer *t)
{
	return bpf_program__fd(t->skel->progs.alloc_session);
}

void loader_destroy(struct tracer *t)
{
	links_release_all(t);
	free(t->libs);
	t->libs = NULL;
	t->n_libs = t->cap_libs = 0;
	spawn_close(t);
	kmaps_free(t->maps);
	t->maps = NULL;
	leaktrace_bpf__destroy(t->skel);
	t->skel = NULL;
}
