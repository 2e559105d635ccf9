/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Messages on stderr: errors, warnings, status and -v detail. */
#ifndef LT_LOG_H
#define LT_LOG_H

#include <stdbool.h>
#include <stddef.h>

extern int lt_verbose;

void lt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * in with control characters as \xNN (a target's comm, names from its
 * files), cut to fit out; returns out.
 */
char *lt_escape(char *out, size_t len, const char *in);

/* Route libbpf's own messages through -v. */
void lt_setup_libbpf_logging(void);

#endif
