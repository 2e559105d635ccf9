/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Output paths (--folded, --svg, --svg-growth, --pprof, -o): what is at the
 * path decides how it is written. A regular file (or nothing yet) is
 * replaced atomically; a character device or a FIFO is written into, never
 * replaced (--folded /dev/null keeps /dev/null a device); anything else is
 * refused. A symbolic link is followed.
 */
#ifndef LT_OUTFILE_H
#define LT_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * 0 if path can be written as above (for a file: a temporary one can be
 * made beside it), else -errno; -EISDIR for a directory, -ENOTSUP for a
 * block device or a socket.
 */
int outfile_check(const char *path);

/*
 * Put data at path: a regular file gets a temporary file in the same
 * directory, fsync'd, then renamed over it (mode 0644, or the old file's);
 * a device or FIFO gets data written into it. 0 or -errno.
 */
int outfile_write(const char *path, const void *data, size_t len);

/*
 * A stream for -o: a regular file is created or truncated, a device or
 * FIFO (which must have a reader) is opened for writing. Close-on-exec, so
 * a command started by -c keeps leaktrace's own stdout. NULL with errno.
 */
FILE *outfile_open_stream(const char *path);

/* strerror(-err), with words for the cases outfile_check adds. */
const char *outfile_strerror(int err);

#endif
