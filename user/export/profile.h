/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A report as a profile: samples of outstanding bytes and blocks with their
 * frames. The common input of the flame graphs, pprof and Pyroscope exports,
 * so each exporter is tested on profiles built by hand.
 */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum frame_kind {
	FK_NATIVE,
	FK_PYTHON,
	FK_ALLOCATOR, /* the allocator or a thin wrapper of it */
	FK_PSEUDO,    /* "[unknown stack]", a process root */
};

/* The mapped file a native frame's address lies in. */
struct prof_module {
	const char *path;     /* as mapped, or the file name only */
	const char *build_id; /* hex, "" when unknown */
	uint64_t start, limit, offset;
	pid_t pid;
};

struct prof_frame {
	const char *name;	 /* function, or the pseudo frame's text */
	const char *system_name; /* the mangled symbol; NULL: same as name */
	const char *file;	 /* source file, "" when unknown */
	int line;		 /* 0 when unknown */
	uint64_t addr;		 /* 0 for pseudo and interpreted frames */
	const struct prof_module *module; /* NULL when none */
	enum frame_kind kind;
	bool inlined; /* inlined into the next frame (its caller) */
};

struct prof_sample {
	struct prof_frame *frames; /* leaf first */
	size_t n_frames;
	int64_t bytes, count;
	int64_t base_bytes; /* at the growth baseline */
	pid_t pid;
	const char *comm;
};

struct strpool;

struct profile {
	struct prof_sample *samples;
	size_t n, cap;
	struct prof_module **modules;
	size_t n_modules, cap_modules;
	struct strpool *pool; /* interned strings */
	struct timespec wall;
	double elapsed_s, interval_s;
	bool final;
	bool baseline_known;
	double baseline_s; /* since attach, when the baseline was taken */
	size_t n_procs;
};

/* Is name the allocator or a thin wrapper of it (its colour in graphs)? */
bool profile_is_allocator(const char *name);

/* A copy of s owned by p, shared by equal strings; NULL when out of memory. */
const char *profile_intern(struct profile *p, const char *s);

/* Add a sample; frames are copied (their strings must be interned). */
int profile_add(struct profile *p, const struct prof_frame *frames, size_t n,
		int64_t bytes, int64_t count, int64_t base_bytes, pid_t pid,
		const char *comm);

/* The module (pid, start), added from m when new (strings interned). */
const struct prof_module *profile_module(struct profile *p,
					 const struct prof_module *m);

/* Sum of bytes (and counts) of samples with bytes > 0. */
int64_t profile_total_bytes(const struct profile *p, int64_t *count);

void profile_free(struct profile *p);

#endif
