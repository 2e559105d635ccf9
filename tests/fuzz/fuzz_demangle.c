// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: symbol names from (untrusted) ELF files, demangled; the first
 * byte picks whether the name is made Rust-legacy shaped ("_ZN" ... "17h"
 * 16 hex digits "E") so the Rust decoding is reached. A result is never
 * longer than DEMANGLE_MAX_PLAIN, however much the name refers back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sym/demangle.h"

#define RUST_TAIL "17h0123456789abcdefE"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool rust = size && (data[0] & 1);
	size_t cap = size + sizeof(RUST_TAIL) + 4, at = 0;
	char *name = malloc(cap);
	const char *plain;

	if (!name)
		return 0;
	if (rust) {
		memcpy(name, "_ZN", 3);
		at = 3;
		data++;
		size--;
	}
	memcpy(name + at, data, size);
	at += size;
	name[at] = '\0';
	/* A NUL inside ends the name, as in a string table. */
	if (rust)
		strcat(name, RUST_TAIL);
	plain = demangle_name(name);
	if (!plain || (plain != name && strlen(plain) > DEMANGLE_MAX_PLAIN))
		abort();
	/* The second call is answered from the cache, with the same name. */
	if (demangle_name(name) != plain)
		abort();
	free(name);
	/* The cache lives for a run; across inputs it would only grow. */
	demangle_forget();
	return 0;
}
