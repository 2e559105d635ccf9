/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The modules (executables, shared libraries) of all traced processes,
 * each opened once per build-id with its debug info, and the symbols of
 * the addresses looked up in them, resolved once per (build-id, address)
 * for every process that maps the module (gunicorn workers, containers
 * with the same image).
 */
#ifndef LT_SYMCACHE_H
#define LT_SYMCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "sym/symbolize.h"

struct symcache;
struct sc_module;

struct symcache_stats {
	size_t modules;	 /* open, used or kept idle */
	size_t resolved; /* addresses resolved from debug info */
	size_t cache_hits;
};

struct symcache *symcache_new(void);
void symcache_free(struct symcache *c);
void symcache_get_stats(const struct symcache *c, struct symcache_stats *st);

/*
 * The module of an ELF file mapped by a process: fd is open on it (and
 * taken over), path is the file as the process sees it, root the prefix
 * to see the process's files ("/proc/PID/root"). The debug file is looked
 * for now, while the process and its root still exist. Returns a new
 * reference, or NULL when the file is not a usable ELF file.
 */
struct sc_module *symcache_module(struct symcache *c, int fd, const char *path,
				  const char *root);

struct sc_module *sc_module_get(struct sc_module *m);
void sc_module_put(struct sc_module *m);

/*
 * Close modules no process maps any more, but for the last few used.
 * Frames looked up in them are gone too: not while a report runs.
 */
void symcache_trim(struct symcache *c);

/* Load bias of the module mapped at start from file offset off. */
int sc_module_bias(struct sc_module *m, uint64_t start, uint64_t off,
		   uint64_t *bias);

/* "libc.so.6" */
const char *sc_module_name(const struct sc_module *m);

/*
 * The frames of a return address, given as an address of the module's
 * own (ELF virtual address). Never NULL.
 */
const struct sym_frames *sc_module_lookup(struct sc_module *m, uint64_t rel);

#endif
