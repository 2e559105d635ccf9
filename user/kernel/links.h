/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The links leaktrace holds (tracepoints, uprobes, session links) and
 * their release: removing a probe waits for an RCU grace period, so many
 * go at once, in parallel threads that share grace periods.
 */
#ifndef LT_LINKS_H
#define LT_LINKS_H

#include "kernel/tracer.h"

/*
 * Keep a libbpf link, or (link NULL) a link fd, limited to pid (-1: all,
 * 0: a tracepoint). On failure the link is released. 0 or -ENOMEM.
 */
int links_keep(struct tracer *t, struct bpf_link *link, int fd, pid_t pid);

/* Processes are gone: remove their probes (all at once, in parallel). */
void links_release_pids(struct tracer *t, const pid_t *pids, size_t n);

/* Remove every link, in parallel. */
void links_release_all(struct tracer *t);

#endif
