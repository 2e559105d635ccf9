/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Allocator probes: the allocator of each traced process (found through
 * /proc/PID/maps and /proc/PID/root, one set of probes per library inode),
 * its functions' offsets and probe places, attached as classic uprobes and
 * uretprobes or as one uprobe session link per library.
 */
#ifndef LT_PROBES_H
#define LT_PROBES_H

#include "kernel/tracer.h"

/* Trace an existing process. -ESRCH: it does not exist or just exited. */
int probes_add_pid(struct tracer *t, pid_t pid);

/*
 * A traced process forked: trace the child too (its allocator probes are
 * limited to it, like its parent's).
 */
int probes_add_child(struct tracer *t, pid_t child);

/* Trace a running child of a traced process (found at attach). */
int probes_follow(struct tracer *t, pid_t pid);

/* -c: trace a command not started yet, in the libc it will load. */
int probes_add_command(struct tracer *t, pid_t pid);

/* --pymalloc: probe PyObject_Malloc & co in the interpreter at path. */
int probes_attach_pymalloc(struct tracer *t, pid_t pid, const char *path);

/* System-wide: probe every allocator library mapped by any process now. */
int probes_attach_all(struct tracer *t);

/* Processes gone: drop their probes and what the kernel keeps for them. */
void probes_drop_pids(struct tracer *t, const pid_t *pids, size_t n);

/*
 * A traced process exec'd: find the allocator of its new image and
 * replace its probes if it differs (the same library keeps its probes, so
 * nothing is missed). Returns 1 while the new image has no allocator
 * mapped yet (call again when it maps code), 0 when done, or -errno.
 */
int probes_exec(struct tracer *t, pid_t pid);

/*
 * System-wide: the allocator of pid's new image, probed for every process
 * (once per file). 0 when probed (now or before), 1 when no module serving
 * malloc is mapped yet (ask again when more code is), or -errno.
 */
int probes_exec_shared(struct tracer *t, pid_t pid);

#endif
