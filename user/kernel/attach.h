/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loading the BPF program and attaching it: the allocator of each traced
 * process (found through /proc/PID/maps and /proc/PID/root, one set of
 * probes per library inode), the mapping syscalls, and process exits.
 */
#ifndef LT_ATTACH_H
#define LT_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "cli/cli.h"
#include "leaktrace.h"

struct leaktrace_bpf;
struct bpf_link;

/*
 * A probe and the process it is limited to (-1: all, 0: tracepoints):
 * a libbpf link, or the fd of a link made without libbpf (sessions).
 */
struct tracer_link {
	struct bpf_link *link;
	int fd;
	pid_t pid;
};

/* One allocator library (or executable) we have probes on. */
struct probed_lib {
	dev_t dev;
	ino_t ino;
	pid_t pid;	 /* process the probes are limited to, -1: all */
	char path[4096]; /* path used to attach */
	int n_probes;
	bool pymalloc; /* CPython's PyObject_* allocator */
};

struct tracer {
	const struct options *opts;
	struct leaktrace_bpf *skel;
	struct tracer_link *links;
	size_t n_links, cap_links;
	struct probed_lib *libs;
	size_t n_libs, cap_libs;
	bool sessions;	  /* one uprobe session link per library */
	pid_t child;	  /* -c: the command's pid, until reaped */
	int child_go_fd;  /* -c: write end that releases the child */
	int child_err_fd; /* -c: read end receiving exec errors */
};

/* Check privileges and BTF, open and load the BPF program. 0 or -errno. */
int tracer_load(struct tracer *t, const struct options *opts);

/* Attach the syscall and exit tracepoints. */
int tracer_attach_tracepoints(struct tracer *t);

/* Trace an existing process. -ESRCH: it does not exist or just exited. */
int tracer_add_pid(struct tracer *t, pid_t pid);

/*
 * A traced process forked: trace the child too (its allocator probes are
 * limited to it, like its parent's).
 */
int tracer_add_child(struct tracer *t, pid_t child);

/* Trace a running child of a traced process (found at attach). */
int tracer_follow(struct tracer *t, pid_t pid);

/* Processes are gone: remove their probes (all at once, in parallel). */
void tracer_release_probes(struct tracer *t, const pid_t *pids, size_t n);

/* A process is gone: drop its probes and what the kernel keeps for it. */
void tracer_drop_pid(struct tracer *t, pid_t pid);

/* --pymalloc: probe PyObject_Malloc & co in the interpreter at path. */
int tracer_attach_pymalloc(struct tracer *t, pid_t pid, const char *path);

/* Tell the kernel side where a process keeps its Python frames. */
int tracer_set_python(struct tracer *t, pid_t pid,
		      const struct lt_py_config *config);

/* System-wide: probe every allocator library mapped by any process now. */
int tracer_attach_all(struct tracer *t);

/* Start opts->command with probes in place; it runs after tracer_release. */
int tracer_spawn(struct tracer *t);
int tracer_release_child(struct tracer *t);

/*
 * Drop what the kernel keeps for processes that exited (their blocks and
 * aggregates), so a reused PID starts clean. Returns entries removed.
 */
long tracer_forget_processes(struct tracer *t, const pid_t *pids, size_t n);

/* Width of the kernel's age buckets (0: no --min-age). */
uint64_t tracer_epoch_ns(const struct tracer *t);

/* Detach everything and free. Safe to call twice. */
void tracer_destroy(struct tracer *t);

#endif
