/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --pprof: a profile in pprof's format (profile.proto), encoded by hand:
 * sample types inuse_objects/count and inuse_space/bytes, one sample per
 * stack labelled with pid and comm, locations in mappings (file, build-id),
 * functions with file and line, inlined frames as lines of one location.
 */
#ifndef LT_PPROF_H
#define LT_PPROF_H

#include <stddef.h>
#include "export/profile.h"

/* gzip-compressed, as pprof tools read it. 0 or -errno; *out is malloc'd. */
int pprof_encode(const struct profile *p, unsigned char **out, size_t *len);

/* The same without compression. */
int pprof_encode_raw(const struct profile *p, unsigned char **out, size_t *len);

#endif
