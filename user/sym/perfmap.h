/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * /tmp/perf-PID.map: the symbols a JIT (V8, the JVM, LuaJIT, CPython 3.12
 * with -X perf...) writes for code it generates, one "START SIZE NAME"
 * line per function, hexadecimal, appended as code is generated.
 */
#ifndef LT_PERFMAP_H
#define LT_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct perfmap_entry {
	uint64_t start, size;
	uint64_t seq; /* line number: later lines replace earlier ones */
	char *name;
};

struct perfmap {
	int fd; /* -1 until opened */
	char *partial;
	size_t partial_len; /* an unfinished last line, kept for later */
	struct perfmap_entry *e;
	size_t n, cap;
	bool sorted;
	bool full; /* PERFMAP_MAX_ENTRIES reached: stop reading */
	uint64_t lines;
	unsigned int gen; /* changes whenever entries are added */
};

#define PERFMAP_MAX_ENTRIES (4u << 20)

void perfmap_init(struct perfmap *m);
void perfmap_free(struct perfmap *m);

/*
 * Parse one line (without its newline): 0, or -EINVAL for anything but
 * "START SIZE NAME" with a non-empty size and name. The name runs to the
 * end of the line and may contain spaces; *name points into line.
 */
int perfmap_parse_line(const char *line, size_t len, uint64_t *start,
		       uint64_t *size, const char **name, size_t *name_len);

/* Add text read from the file; a final line without newline waits. */
int perfmap_feed(struct perfmap *m, const char *buf, size_t len);

/*
 * Open the map at path (kept open, so it stays readable after the process
 * exits) and read it; later calls read only what was appended.
 */
int perfmap_open(struct perfmap *m, const char *path);
int perfmap_update(struct perfmap *m);

/* The entry covering addr, the latest written when several do. */
const struct perfmap_entry *perfmap_find(struct perfmap *m, uint64_t addr);

#endif
