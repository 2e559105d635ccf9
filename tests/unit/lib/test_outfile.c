// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/lib/outfile.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/outfile.h"

struct dir {
	char path[64];
};

static int setup_dir(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	strcpy(d->path, "/tmp/lt-outfile-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int teardown_dir(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static int count_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void read_back(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void test_replaces_file(void **state)
{
	struct dir *d = *state;
	char path[96], buf[32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/out.svg", d->path);
	assert_int_equal(outfile_check(path), 0);
	assert_int_equal(count_entries(d->path), 0); /* the probe is gone */
	assert_int_equal(outfile_write(path, "first", 5), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* An existing file keeps its mode. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(outfile_write(path, "second", 6), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "second");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(d->path), 1);
}

static void test_symlink_followed(void **state)
{
	struct dir *d = *state;
	char path[96], link[96], buf[32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/real", d->path);
	snprintf(link, sizeof(link), "%s/link", d->path);
	assert_int_equal(outfile_write(path, "a", 1), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(outfile_write(link, "bb", 2), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "bb");
}

static void test_refusals(void **state)
{
	struct dir *d = *state;
	char path[96];

	snprintf(path, sizeof(path), "%s/missing/out", d->path);
	assert_int_equal(outfile_check(path), -ENOENT);
	assert_int_equal(outfile_write(path, "x", 1), -ENOENT);
	assert_int_equal(outfile_check(d->path), -EISDIR);
	assert_int_equal(outfile_write(d->path, "x", 1), -EISDIR);
	assert_int_equal(outfile_check(""), -ENOENT);
	assert_null(outfile_open_stream(d->path));
	assert_int_equal(errno, EISDIR);
	snprintf(path, sizeof(path), "%s/blk", d->path);
	assert_int_equal(mknod(path, S_IFBLK | 0600, makedev(7, 200)), 0);
	assert_int_equal(outfile_check(path), -ENOTSUP);
	assert_int_equal(outfile_write(path, "x", 1), -ENOTSUP);
	assert_string_equal(outfile_strerror(-EISDIR), "is a directory");
}

static void test_device_written_into(void **state)
{
	struct dir *d = *state;
	char path[96];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/null", d->path);
	assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(outfile_check(path), 0);
	assert_int_equal(outfile_write(path, "data", 4), 0);
	f = outfile_open_stream(path);
	assert_non_null(f);
	fputs("report\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(count_entries(d->path), 1);
}

static void test_fifo(void **state)
{
	struct dir *d = *state;
	char path[96], buf[16] = "";
	struct stat st;
	int rfd;

	snprintf(path, sizeof(path), "%s/fifo", d->path);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* No reader: refused at once rather than blocking. */
	assert_int_equal(outfile_write(path, "x", 1), -ENXIO);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(outfile_write(path, "hello", 5), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "hello");
	close(rfd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_stream_truncates(void **state)
{
	struct dir *d = *state;
	char path[96], buf[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/reports", d->path);
	assert_int_equal(outfile_write(path, "old old old", 11), 0);
	f = outfile_open_stream(path);
	assert_non_null(f);
	fputs("new\n", f);
	assert_int_equal(fclose(f), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "new\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_file, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_symlink_followed,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_refusals, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_device_written_into,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_fifo, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_stream_truncates,
						setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
