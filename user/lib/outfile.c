// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Output paths: atomic replacement of files, writes into devices. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/outfile.h"

#define NEW_FILE_MODE 0644 /* what a default umask gives; mkstemp gives 0600 */

enum out_kind { OUT_NEW, OUT_FILE, OUT_DEVICE };

struct out_target {
	char *dest; /* path, or what its symbolic link points to */
	enum out_kind kind;
	struct stat st; /* of an existing file */
};

/* Follow a link so the file it names is replaced, not the link itself. */
static char *resolve(const char *path)
{
	struct stat st;
	char *real;

	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (real)
			return real;
	}
	return strdup(path);
}

static int classify(const char *path, struct out_target *t)
{
	memset(t, 0, sizeof(*t));
	if (!*path)
		return -ENOENT;
	t->dest = resolve(path);
	if (!t->dest)
		return -ENOMEM;
	if (stat(t->dest, &t->st)) {
		if (errno == ENOENT)
			return 0; /* OUT_NEW; the directory is checked later */
		return -errno;
	}
	if (S_ISREG(t->st.st_mode))
		t->kind = OUT_FILE;
	else if (S_ISCHR(t->st.st_mode) || S_ISFIFO(t->st.st_mode))
		t->kind = OUT_DEVICE;
	else if (S_ISDIR(t->st.st_mode))
		return -EISDIR;
	else
		return -ENOTSUP;
	return 0;
}

/* A temporary file beside dest, so rename stays in one filesystem. */
static int make_temp(const char *dest, char **tmp)
{
	int fd;

	if (asprintf(tmp, "%s.tmp.XXXXXX", dest) < 0) {
		*tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Non-blocking open: a FIFO without a reader fails (ENXIO) instead of
 * stopping leaktrace; writes then block as they would on stdout.
 */
static int open_device(const char *dest)
{
	int fd = open(dest, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int flags;

	if (fd < 0)
		return -errno;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		flags = -errno;
		close(fd);
		return flags;
	}
	return fd;
}

/* A FIFO needs a reader now: every report opens it (ENXIO without one). */
static int check_fifo_reader(const char *dest)
{
	int fd = open_device(dest);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int outfile_check(const char *path)
{
	struct out_target t;
	char *tmp;
	int err = classify(path, &t);

	if (!err && t.kind == OUT_DEVICE && access(t.dest, W_OK))
		err = -errno;
	else if (!err && S_ISFIFO(t.st.st_mode))
		err = check_fifo_reader(t.dest);
	else if (!err && t.kind != OUT_DEVICE) {
		err = make_temp(t.dest, &tmp);
		if (err >= 0) {
			close(err);
			unlink(tmp);
			free(tmp);
			err = 0;
		}
	}
	free(t.dest);
	return err;
}

static int write_device(const char *dest, const void *data, size_t len)
{
	int fd = open_device(dest);
	int err;

	if (fd < 0)
		return fd;
	err = write_all(fd, data, len);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int replace_file(const struct out_target *t, const void *data,
			size_t len)
{
	mode_t mode =
		t->kind == OUT_FILE ? t->st.st_mode & 07777 : NEW_FILE_MODE;
	char *tmp;
	int fd = make_temp(t->dest, &tmp);
	int err = 0;

	if (fd < 0)
		return fd;
	if (fchmod(fd, mode))
		err = -errno;
	/* Keep a file's owner when root rewrites it; a failure is harmless. */
	if (!err && t->kind == OUT_FILE &&
	    fchown(fd, t->st.st_uid, t->st.st_gid))
		err = 0;
	if (!err)
		err = write_all(fd, data, len);
	/* Data on disk before the name points at it: no empty file on a crash. */
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, t->dest))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int outfile_write(const char *path, const void *data, size_t len)
{
	struct out_target t;
	int err = classify(path, &t);

	if (!err)
		err = t.kind == OUT_DEVICE ? write_device(t.dest, data, len)
					   : replace_file(&t, data, len);
	free(t.dest);
	return err;
}

static int open_truncated(const char *dest)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		      NEW_FILE_MODE);

	return fd < 0 ? -errno : fd;
}

FILE *outfile_open_stream(const char *path)
{
	struct out_target t;
	int fd = classify(path, &t);
	FILE *f;

	if (!fd)
		fd = t.kind == OUT_DEVICE ? open_device(t.dest)
					  : open_truncated(t.dest);
	free(t.dest);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}

const char *outfile_strerror(int err)
{
	if (err == -EISDIR)
		return "is a directory";
	if (err == -ENOTSUP)
		return "not a regular file, character device or FIFO";
	if (err == -ENXIO)
		return "a FIFO with no reader";
	return strerror(-err);
}
