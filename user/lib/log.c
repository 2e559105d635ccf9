// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

int lt_verbose;

/* Longest message printed whole (a path is at most 4096 bytes). */
#define LOG_MAX_QUOTED 8192
#define LOG_KEEP_HEAD  4096
#define LOG_KEEP_TAIL  512

/*
 * Messages quote paths, commands and names from the user or from targets:
 * control characters are printed as \xNN, so a message stays one line and
 * cannot drive the terminal.
 */
static void put_escaped_n(const char *s, size_t n)
{
	for (; n--; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
}

/* A 100 KB argument quoted whole would bury the message: its middle goes. */
static void put_escaped(const char *s)
{
	size_t len = strlen(s);

	if (len <= LOG_MAX_QUOTED) {
		put_escaped_n(s, len);
		return;
	}
	put_escaped_n(s, LOG_KEEP_HEAD);
	fprintf(stderr, "...(%zu bytes)...",
		len - LOG_KEEP_HEAD - LOG_KEEP_TAIL);
	put_escaped_n(s + len - LOG_KEEP_TAIL, LOG_KEEP_TAIL);
}

char *lt_escape(char *out, size_t len, const char *in)
{
	size_t n = 0;

	if (!len)
		return out;
	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		size_t need = c < 0x20 || c == 0x7f ? 4 : 1;

		if (n + need >= len)
			break;
		if (need == 1)
			out[n++] = (char)c;
		else
			n += snprintf(out + n, len - n, "\\x%02x", c);
	}
	out[n] = 0;
	return out;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;

	fprintf(stderr, "leaktrace: %s", prefix);
	if (vasprintf(&msg, fmt, ap) >= 0)
		put_escaped(msg);
	else
		fputs(fmt, stderr);
	free(msg);
	fputc('\n', stderr);
}

void lt_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void lt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void lt_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void lt_debug(const char *fmt, ...)
{
	va_list ap;

	if (!lt_verbose)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && lt_verbose < 2)
		return 0;
	if (level != LIBBPF_WARN && !lt_verbose)
		return 0;
	if (!lt_verbose)
		return 0; /* failures are reported by us, in one line */
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void lt_setup_libbpf_logging(void)
{
	libbpf_set_print(libbpf_print);
}
