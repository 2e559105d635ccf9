/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --objects: Python objects by type, live, read from outside the process
 * (process_vm_readv only: no ptrace, no signal, nothing written), with
 * growth like objgraph.show_growth and the containers that hold them.
 */
#ifndef LT_CENSUS_H
#define LT_CENSUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct py_census;

/*
 * A census for the CPython process pid. Returns NULL when the process is
 * not a supported CPython (said once, with why, as a warning).
 */
struct py_census *census_new(pid_t pid);
void census_free(struct py_census *c);

/* Count the live objects now; the first call is the baseline. */
void census_take(struct py_census *c);

/* A section of the text report: the top rows by growth. */
void census_print_text(FILE *out, const struct py_census *c, int top);

struct json;

/* "python_census":{...},"python_objects":[...] inside a process entry. */
void census_print_json(struct json *j, const struct py_census *c, int top);

/* Loss counters since attach: lists not walked to the end, and objects
 * on the lists whose type could not be read. */
void census_losses(const struct py_census *c, uint64_t *incomplete,
		   uint64_t *skipped);

#endif
