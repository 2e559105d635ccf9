/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Naming the code addresses of a traced process: function, offset, source
 * file and line, inlined calls, module, with elfutils' libdwfl; JIT code
 * from /tmp/perf-PID.map.
 */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One source-level frame. Strings are never NULL. */
struct frame_sym {
	const char *name;	/* function, demangled; "" when unknown */
	const char *mangled;	/* its symbol when demangled, else "" */
	uint64_t offset;	/* from the function start; 0 when inlined */
	const char *file;	/* source file as compiled, "" when unknown */
	unsigned int line;	/* 0 when unknown */
	bool inlined;		/* a call inlined into the next frame */
	const char *module;	/* "libc.so.6", "[anon]", "perf-12.map", "" */
	uint64_t module_offset; /* address in the module's own addresses */
	const char *build_id;	/* of the module, hex, "" when none */
	bool jit;		/* named by a perf map */
	bool anon;		/* in memory no module or perf map names */
};

/*
 * What one return address resolves to: the functions inlined at it,
 * innermost first, then the function that holds the code (n >= 1).
 */
struct sym_frames {
	size_t n;
	const struct frame_sym *f;
};

struct symcache;
struct symbolizer;

/* A process's symbolizer; modules are shared through cache. */
struct symbolizer *symbolizer_new(struct symcache *cache, pid_t pid);
void symbolizer_free(struct symbolizer *s);

/*
 * Learn the code the process maps now: its modules are opened (with their
 * debug info) while it is alive, so its stacks can still be named after
 * it exits. Code no longer mapped is kept unless something replaced it.
 */
int symbolizer_refresh(struct symbolizer *s);

/*
 * Name a return address (looked up at addr - 1 so a call at the end of a
 * function is attributed to it). Never NULL; results are cached.
 */
const struct sym_frames *symbolizer_lookup(struct symbolizer *s, uint64_t addr);

/*
 * "func+0x1a (file.c:12) [module]", "inl (file.c:3) [module] (inlined)",
 * "module+0x1234", "[anon]+0x40", or "[unknown]".
 */
char *frame_sym_text(const struct frame_sym *f, char *buf, size_t len);

/* "func", or "module+0x1234" when the function is unknown. */
char *frame_sym_short(const struct frame_sym *f, char *buf, size_t len);

#endif
