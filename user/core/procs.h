/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The processes leaktrace has seen, with what it knows about each. */
#ifndef LT_PROCS_H
#define LT_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "leaktrace.h"

struct symbolizer;
struct symcache;
struct py_decoder;
struct py_census;

struct traced_proc {
	pid_t pid;
	char comm[64];
	struct symbolizer *sym;
	int64_t rss_at_attach; /* -1: unknown */
	int64_t rss;	       /* at the last report */
	int64_t prev_total;    /* outstanding bytes at the last report */
	bool exited;
	bool probes_released;  /* exited: its uprobes are gone already */
	bool modules_stale;    /* new code was mapped since the last look */
	bool exec_pending;     /* exec'd; its new allocator is not probed yet */
	struct py_decoder *py; /* the process runs CPython */
	bool py_unsupported;   /* said so once */
	bool py_new;	       /* detected: the kernel side needs its config */
	struct lt_py_config py_config;
	int py_minor;	    /* CPython 3.minor */
	bool py_routes;	    /* calls go through PyObject_Malloc (no LTO) */
	bool py_objects;    /* --pymalloc probes are attached */
	char py_path[4096]; /* the ELF holding the interpreter */
	struct py_census *census; /* --objects */
	bool census_tried;	  /* census_new was called */
};

struct proc_table {
	/* Entries never move: pointers to them stay valid. */
	struct traced_proc **procs;
	size_t n, cap;
	struct symcache *symcache; /* modules and symbols, shared by all */
};

/* The entry for pid; with create, a new one (reading comm, RSS, maps). */
struct traced_proc *procs_get(struct proc_table *t, pid_t pid, bool create);

/* Re-read the module list of processes that mapped new code. */
void procs_refresh_modules(struct proc_table *t);

/* Forget a process (after its final report); its entry is freed. */
void procs_remove(struct proc_table *t, pid_t pid);

void procs_free(struct proc_table *t);

#endif
