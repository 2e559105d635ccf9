/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for the procfs layer (user/lib/proc.c) on real processes:
 * this one, a child that turns zombie, a command name that looks like the
 * end of the stat line, and a mapped file replaced on disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proc.h"
#include "lib/procmaps.h"

static void test_stat_of_self(void **state)
{
	struct proc_stat st;

	assert_int_equal(proc_read_stat(getpid(), &st), 0);
	assert_int_equal(st.state, 'R'); /* reading it: running */
	assert_true(st.start_time > 0);
	assert_true(proc_alive(getpid()));
	assert_int_equal(proc_read_stat(0x7ffffff0, &st), -1);
	assert_false(proc_alive(0x7ffffff0));
}

static void test_hostile_comm(void **state)
{
	char old[32] = "", name[32];
	struct proc_stat st;

	prctl(PR_GET_NAME, old);
	/* A name that ends like the comm field, then a fake state. */
	prctl(PR_SET_NAME, "x) Z 1 (y) Z");
	assert_int_equal(proc_read_stat(getpid(), &st), 0);
	assert_int_equal(st.state, 'R');
	assert_true(proc_alive(getpid()));
	assert_int_equal(proc_status_field(0, "Name", name, sizeof(name)), 0);
	assert_string_equal(name, "x) Z 1 (y) Z");
	prctl(PR_SET_NAME, old);
}

static void test_zombie_child_is_gone(void **state)
{
	struct proc_stat st, self;
	pid_t child = fork();

	if (!child)
		_exit(0);
	assert_true(child > 0);
	/* Not reaped: a zombie until waitpid, which proc_alive calls gone. */
	while (proc_read_stat(child, &st) == 0 && st.state != 'Z')
		usleep(1000);
	assert_int_equal(st.state, 'Z');
	assert_false(proc_alive(child));
	assert_int_equal(proc_read_stat(getpid(), &self), 0);
	assert_true(st.start_time >= self.start_time);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_false(proc_alive(child));
}

static void test_status_fields(void **state)
{
	char value[256], pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	assert_int_equal(
		proc_status_field(getpid(), "Pid", value, sizeof(value)), 0);
	assert_string_equal(value, pid);
	/* Our own, by pid 0: the same file. */
	assert_int_equal(proc_status_field(0, "Pid", value, sizeof(value)), 0);
	assert_string_equal(value, pid);
	/* A prefix of a key is not the key. */
	assert_int_equal(proc_status_field(0, "Pi", value, sizeof(value)), -1);
	assert_int_equal(
		proc_status_field(0, "NoSuchKey", value, sizeof(value)), -1);
	/* Values are cut to the buffer. */
	assert_int_equal(proc_status_field(0, "Pid", value, 2), 0);
	assert_int_equal(strlen(value), 1);
}

/* Our mapping of path, from /proc/self/maps. */
static int find_mapping(const char *path, struct map_entry *out)
{
	struct map_entry *maps = NULL;
	size_t n = 0, i;
	int found = -1;

	assert_int_equal(procmaps_read(getpid(), &maps, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(maps[i].path, path)) {
			*out = maps[i];
			found = 0;
		}
	free(maps);
	return found;
}

static void test_mapped_file_replaced(void **state)
{
	char path[] = "/tmp/lt-proc-XXXXXX", got[4200];
	struct map_entry *e = calloc(1, sizeof(*e));
	struct stat mapped, st;
	int fd = mkstemp(path), fd2;
	void *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(fstat(fd, &mapped), 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	assert_int_equal(find_mapping(path, e), 0);
	assert_true(procmaps_same_file(e, mapped.st_dev, mapped.st_ino));
	assert_false(procmaps_same_file(e, mapped.st_dev, mapped.st_ino + 1));

	/* In place: reached through our root. */
	assert_int_equal(proc_mapped_path(getpid(), e, got, sizeof(got), &st),
			 0);
	assert_null(strstr(got, "map_files"));
	assert_int_equal(st.st_ino, mapped.st_ino);
	fd = proc_open_mapped(getpid(), e, got, sizeof(got));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, mapped.st_ino);
	close(fd);

	/* Replaced by another file at the same path: the mapped one still. */
	assert_int_equal(unlink(path), 0);
	fd2 = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(proc_mapped_path(getpid(), e, got, sizeof(got), &st),
			 0);
	assert_non_null(strstr(got, "/map_files/"));
	assert_int_equal(st.st_ino, mapped.st_ino);
	fd = proc_open_mapped(getpid(), e, got, sizeof(got));
	assert_true(fd >= 0);
	assert_non_null(strstr(got, "/map_files/"));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, mapped.st_ino);
	close(fd);

	unlink(path);
	munmap(p, 4096);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_of_self),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_zombie_child_is_gone),
		cmocka_unit_test(test_status_fields),
		cmocka_unit_test(test_mapped_file_replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
