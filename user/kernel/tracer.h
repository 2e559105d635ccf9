/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What leaktrace holds in the kernel, shared by the loader (the skeleton
 * and its tracepoints), the probes (allocator libraries and their links),
 * the link release, and the -c spawner.
 */
#ifndef LT_TRACER_H
#define LT_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "cli/cli.h"
#include "leaktrace.h"

struct leaktrace_bpf;
struct bpf_link;
struct kmaps;

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

/* Per-syscall tracepoints of the mapping syscalls (and rt_sigreturn). */
#define TRACER_SYSCALL_EVENTS 8

struct tracer {
	const struct options *opts;
	struct leaktrace_bpf *skel; /* the loader's own */
	struct kmaps *maps;	    /* the kernel maps, for everyone */
	struct tracer_link *links;
	size_t n_links, cap_links;
	struct probed_lib *libs;
	size_t n_libs, cap_libs;
	bool sessions;	     /* one uprobe session link per library */
	bool syscall_events; /* per-syscall tracepoints, not raw ones */
	int syscall_event_ids[TRACER_SYSCALL_EVENTS]; /* their event ids */
	pid_t child;	  /* -c: the command's pid, until reaped */
	int child_go_fd;  /* -c: write end that releases the child */
	int child_err_fd; /* -c: read end receiving exec errors */
	char *child_name; /* -c: the command's first word */
};

#endif
