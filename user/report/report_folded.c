// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --folded: outstanding bytes per stack, root first, for flame graphs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/folded.h"
#include "report/report.h"

#define MAX_FRAMES   STACK_MAX_FRAMES
#define LINE_MAX_LEN (MAX_FRAMES * 64)

static void append(char *line, size_t *used, const char *frame)
{
	size_t len = strlen(frame);

	if (*used + len + 2 >= LINE_MAX_LEN)
		return;
	if (*used)
		line[(*used)++] = ';';
	memcpy(line + *used, frame, len + 1);
	*used += len;
}

static char *fold_row(const struct report *r, const struct proc_report *pr,
		      const struct stack_row *row, bool process_root)
{
	struct frame frames[MAX_FRAMES];
	size_t n = stack_frames(r->stacks, pr->proc, row->stack_id, frames,
				MAX_FRAMES);
	char *line = malloc(LINE_MAX_LEN), *fit, name[512], safe[512];
	size_t used = 0;

	if (!line)
		return NULL;
	line[0] = '\0';
	if (process_root) {
		snprintf(name, sizeof(name), "%s (%d)", pr->proc->comm,
			 pr->proc->pid);
		append(line, &used, folded_frame(safe, sizeof(safe), name));
	}
	/* Root first; an inlined call is a frame below its caller. */
	while (n--) {
		frame_short_name(&frames[n], name, sizeof(name));
		append(line, &used, folded_frame(safe, sizeof(safe), name));
	}
	/* Every stack's line is kept until the file is written. */
	fit = realloc(line, used + 1);
	return fit ? fit : line;
}

int report_write_folded(const struct report *r, const char *path,
			bool process_roots)
{
	struct folded_line *lines = NULL;
	size_t i, j, n = 0, total = 0;
	int err = 0;

	for (i = 0; i < r->n_procs; i++)
		total += r->procs[i].n_all;
	lines = calloc(total + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (i = 0; i < r->n_procs && !err; i++) {
		const struct proc_report *pr = &r->procs[i];

		for (j = 0; j < pr->n_all; j++) {
			const struct stack_row *row = pr->all[j];

			if (row_bytes(row) <= 0)
				continue;
			lines[n].stack = fold_row(r, pr, row, process_roots);
			lines[n].bytes = row_bytes(row);
			if (!lines[n++].stack) {
				err = -ENOMEM;
				break;
			}
		}
	}
	if (!err)
		err = folded_write(path, lines, n);
	for (i = 0; i < n; i++)
		free((char *)lines[i].stack);
	free(lines);
	return err;
}
