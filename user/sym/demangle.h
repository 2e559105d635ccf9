/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * C++ symbol names in source form ("operator new(unsigned long)"), by
 * libstdc++'s __cxa_demangle; Rust's legacy names (Itanium-shaped, a hash
 * last) also without the hash and escapes ("rust_leak::leak_vectors").
 * Results are kept for the whole run.
 */
#ifndef LT_DEMANGLE_H
#define LT_DEMANGLE_H

/*
 * The demangled form of an Itanium-ABI name ("_Z..."), or name itself when
 * it is not one or does not demangle. Never NULL for a non-NULL name.
 */
const char *demangle_name(const char *name);

#endif
