// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer: one line of /proc/PID/maps (a process can name its mappings). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct map_entry e;
	char *line = malloc(size + 1); /* exactly sized: overreads show */

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	if (!procmaps_parse_line(line, &e) &&
	    strnlen(e.path, sizeof(e.path)) == sizeof(e.path))
		abort(); /* the path must stay terminated */
	free(line);
	return 0;
}
