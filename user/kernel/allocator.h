/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which module serves malloc in a process, found the way the dynamic
 * linker binds it: the first module in the lookup order (the executable,
 * LD_PRELOAD libraries, then libraries in load order) that defines malloc
 * and free. glibc, jemalloc, tcmalloc, mimalloc, and an allocator linked
 * into the executable itself (static musl, Rust, Go with cgo) alike.
 */
#ifndef LT_ALLOCATOR_H
#define LT_ALLOCATOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One loaded module (a file with code) of a process. */
struct allocator_module {
	char name[PATH_MAX]; /* as the process sees it (maps) */
	char path[PATH_MAX]; /* where leaktrace opens it (root, map_files) */
	dev_t dev;
	ino_t ino;
	bool executable; /* the main program */
};

/* Allocators that keep their own prefixed API next to the one serving. */
#define ALLOCATOR_MAX_OTHERS 4

struct allocator_choice {
	int index;	 /* the module serving malloc, -1: none */
	bool load_order; /* order from the link map (else from addresses) */
	char why[1024];	 /* for -v: what was looked at, and why this one */
	int n_others;	 /* modules with a prefixed allocator of their own */
	int others[ALLOCATOR_MAX_OTHERS];
	char other_prefix[ALLOCATOR_MAX_OTHERS][8];
};

/*
 * The modules of a live process in lookup order, in a malloc'd array.
 * *load_order tells whether the order is the dynamic linker's (its link
 * map) or, before it has one or without one (static), the executable
 * then libraries by falling address (the order the loader maps them).
 */
int allocator_modules(pid_t pid, struct allocator_module **mods, size_t *n,
		      bool *load_order);

/*
 * The modules command cmd (found in PATH) will load, in lookup order, without running it:
 * the executable, then its dynamic linker's --list (LD_PRELOAD included).
 */
int allocator_command_modules(const char *cmd, struct allocator_module **mods,
			      size_t *n);

/* Choose among mods (in lookup order). 0, or -errno reading a module. */
int allocator_choose(const struct allocator_module *mods, size_t n,
		     bool load_order, struct allocator_choice *c);

/* Does the ELF file at path define both PREFIXmalloc and PREFIXfree? */
bool allocator_defines(const char *path, const char *prefix);

/* The module to probe, as picked for a process or a command. */
struct allocator_pick {
	bool found;	     /* false: nothing defines malloc (Go, ...) */
	char path[PATH_MAX]; /* where to attach */
	dev_t dev;
	ino_t ino;
};

/*
 * Pick the allocator of a live process and say so: -v gives the module
 * and why; a module with its own prefixed allocator gets one line (unless
 * quiet), and so does a process with no malloc at all. 0 or -errno.
 */
int allocator_pick_process(pid_t pid, bool quiet, struct allocator_pick *out);

/* The same for a command about to be run (exe: its resolved path). */
int allocator_pick_command(const char *exe, struct allocator_pick *out);

#endif
