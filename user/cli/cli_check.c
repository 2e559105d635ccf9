// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wordexp.h>
#include "cli/cli_check.h"
#include "lib/log.h"
#include "lib/outfile.h"

/* The machine leaktrace runs on: --lib must be built for it. */
#if defined(__x86_64__)
#define LT_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define LT_ELF_MACHINE EM_AARCH64
#else
#error "unsupported architecture"
#endif

int cli_check_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return -EINVAL;
	return 0;
}

static int usage(void)
{
	return LT_EXIT_USAGE;
}

static int check_output(const char *option, const char *path)
{
	int err;

	if (!path)
		return 0;
	err = outfile_check(path);
	if (!err)
		return 0;
	lt_error("cannot write %s %s: %s", option, path, outfile_strerror(err));
	return usage();
}

/* Read the ELF header without blocking: a FIFO must not stop us. */
static int read_elf_header(const char *path, Elf64_Ehdr *eh, const char **why)
{
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st)) {
		*why = strerror(errno);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "is a directory"
					   : "not a regular file";
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	n = pread(fd, eh, sizeof(*eh), 0);
	close(fd);
	if (n != (ssize_t)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		*why = "not an ELF file";
		return -1;
	}
	return 0;
}

static int check_lib(const char *path)
{
	const char *why = NULL;
	Elf64_Ehdr eh;

	if (!path)
		return 0;
	if (read_elf_header(path, &eh, &why))
		;
	else if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
		 eh.e_machine != LT_ELF_MACHINE)
		why = "an ELF file of another architecture";
	else if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC)
		why = "not a library or an executable";
	if (!why)
		return 0;
	lt_error("invalid --lib %s: %s", path, why);
	return usage();
}

static const char *wordexp_why(int err)
{
	switch (err) {
	case WRDE_SYNTAX:
		return "unbalanced quote or bad syntax";
	case WRDE_CMDSUB:
		return "command substitution is not run";
	case WRDE_BADCHAR:
		return "shell operators (| & ; < > ...) need sh -c";
	case WRDE_NOSPACE:
		return "out of memory";
	default:
		return "give a command and its arguments";
	}
}

/* 0 when path names a file exec could run: a regular file we may execute. */
static int runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

/* The PATH search execvp makes, so a missing command is refused up front. */
static int find_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];
	size_t len;

	if (strchr(name, '/'))
		return runnable(name);
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		len = strcspn(path, ":");
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)len, path,
			     len ? "/" : "", name) < (int)sizeof(buf) &&
		    !runnable(buf))
			return 0;
		path += len + (path[len] == ':');
	}
	return -ENOENT;
}

static int check_program(const char *name)
{
	int err = find_program(name);

	if (!err)
		return 0;
	lt_error("cannot run %s: %s", name,
		 err == -ENOENT && !strchr(name, '/') ? "command not found"
						      : strerror(-err));
	return usage();
}

static int check_command(const char *command)
{
	wordexp_t we;
	int err;

	if (!command)
		return 0;
	memset(&we, 0, sizeof(we));
	err = wordexp(command, &we, WRDE_NOCMD);
	if (!err && !we.we_wordc) {
		wordfree(&we);
		err = WRDE_BADVAL;
	}
	if (!err) {
		err = check_program(we.we_wordv[0]);
		wordfree(&we);
		return err;
	}
	if (err == WRDE_NOSPACE)
		wordfree(&we);
	lt_error("invalid -c \"%s\": %s", command, wordexp_why(err));
	return usage();
}

static int open_report_output(struct options *o)
{
	o->report_out = stdout;
	if (!o->output)
		return 0;
	o->report_out = outfile_open_stream(o->output);
	if (o->report_out)
		return 0;
	lt_error("cannot write -o %s: %s", o->output, outfile_strerror(-errno));
	return usage();
}

/* Two outputs on one file would overwrite each other at every report. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	if (stat(a, &sa) || stat(b, &sb) || !S_ISREG(sa.st_mode))
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int check_distinct_outputs(const struct options *o)
{
	const char *opt[] = { "--folded", "--svg", "--svg-growth", "--pprof",
			      "-o" };
	const char *path[] = { o->folded, o->svg, o->svg_growth, o->pprof,
			       o->output };
	size_t n = sizeof(path) / sizeof(path[0]), i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			struct stat st;

			if (!path[i] || !path[j] ||
			    !same_file(path[i], path[j]))
				continue;
			/* A device or FIFO may take several streams. */
			if (!stat(path[i], &st) && !S_ISREG(st.st_mode))
				continue;
			lt_error(
				"%s and %s name the same file %s: give each its own",
				opt[i], opt[j], path[i]);
			return usage();
		}
	return 0;
}

int cli_check_options(struct options *o)
{
	int err = check_distinct_outputs(o);

	if (!err)
		err = check_output("--folded", o->folded);

	if (!err)
		err = check_output("--svg", o->svg);
	if (!err)
		err = check_output("--svg-growth", o->svg_growth);
	if (!err)
		err = check_output("--pprof", o->pprof);
	if (!err)
		err = check_lib(o->lib);
	if (!err)
		err = check_command(o->command);
	if (!err)
		err = open_report_output(o);
	return err;
}
