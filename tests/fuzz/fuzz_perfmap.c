// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: /tmp/perf-PID.map text, written by the (untrusted) process,
 * fed in two chunks as appends arrive, then looked up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sym/perfmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct perfmap_entry *e;
	struct perfmap m;
	size_t cut = size ? data[0] % (size + 1) : 0;
	char *buf = malloc(size ? size : 1);
	uint64_t start, len;
	const char *name;
	size_t name_len;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	perfmap_parse_line(buf, size, &start, &len, &name, &name_len);
	perfmap_init(&m);
	perfmap_feed(&m, buf, cut);
	perfmap_feed(&m, buf + cut, size - cut);
	for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
		uint64_t addr;

		memcpy(&addr, data + i, sizeof(addr));
		e = perfmap_find(&m, addr);
		if (e && (addr < e->start || addr - e->start >= e->size))
			abort(); /* an entry that does not cover addr */
	}
	perfmap_free(&m);
	free(buf);
	return 0;
}
