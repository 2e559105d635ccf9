/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Uprobe sessions (Linux 6.13+): one link puts a probe on many offsets of
 * one file, and each hit's entry program decides whether its return is
 * trapped. libbpf 1.1 predates them, so the link is made with bpf(2).
 */
#ifndef LT_UPROBE_SESSION_H
#define LT_UPROBE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The bpf_attach_type values programs must be loaded with. */
#define LT_ATTACH_UPROBE_SESSION 57
#define LT_ATTACH_UPROBE_MULTI	 48 /* entries only (6.6+) */

/* Does the running kernel have uprobe sessions? (asked of its BTF) */
bool uprobe_sessions_supported(void);

/*
 * Attach prog_fd at the file offsets of path, with one cookie each, for
 * process pid (0: every process). Returns the link's fd or -errno; closing
 * the fd removes every probe of the link.
 */
int uprobe_session_attach(int prog_fd, const char *path,
			  const uint64_t *offsets, const uint64_t *cookies,
			  size_t n, pid_t pid);

/*
 * The same link for a program that only sees entries (loaded with
 * LT_ATTACH_UPROBE_MULTI): for functions whose return is never wanted,
 * whose program then need not ask which of the two it runs at.
 */
int uprobe_session_attach_entries(int prog_fd, const char *path,
				  const uint64_t *offsets,
				  const uint64_t *cookies, size_t n, pid_t pid);

#endif
