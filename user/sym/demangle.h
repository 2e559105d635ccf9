/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * C++ symbol names in source form ("operator new(unsigned long)"), by
 * libstdc++'s __cxa_demangle; Rust's legacy names (Itanium-shaped, a hash
 * last) also without the hash and escapes ("rust_leak::leak_vectors").
 * Results are kept until demangle_forget().
 */
#ifndef LT_DEMANGLE_H
#define LT_DEMANGLE_H

/* Longer demangled names are cut there and end in "...". */
#define DEMANGLE_MAX_PLAIN 8192

/*
 * The demangled form of an Itanium-ABI name ("_Z..."), or name itself when
 * it is not one or does not demangle. Never NULL for a non-NULL name.
 */
const char *demangle_name(const char *name);

/* Frees every kept name: the pointers demangle_name returned go stale. */
void demangle_forget(void);

#endif
