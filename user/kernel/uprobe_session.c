// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include "kernel/uprobe_session.h"

#define BPF_LINK_CREATE_CMD 28

/*
 * The BPF_LINK_CREATE attributes of a uprobe_multi link, as in the kernel's
 * union bpf_attr (Linux 6.6+): Debian's headers are older.
 */
struct uprobe_multi_create_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

static bool enum_has_value(const struct btf *btf, const char *type,
			   const char *value)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;
	int i;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), value))
			return true;
	return false;
}

bool uprobe_sessions_supported(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = enum_has_value(btf, "bpf_attach_type",
			    "BPF_TRACE_UPROBE_SESSION") &&
	     btf__find_by_name_kind(btf, "bpf_session_is_return",
				    BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return ok;
}

static int multi_link(uint32_t attach_type, int prog_fd, const char *path,
		      const uint64_t *offsets, const uint64_t *cookies,
		      size_t n, pid_t pid)
{
	struct uprobe_multi_create_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = attach_type;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = n;
	attr.pid = pid > 0 ? pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE_CMD, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int uprobe_session_attach(int prog_fd, const char *path,
			  const uint64_t *offsets, const uint64_t *cookies,
			  size_t n, pid_t pid)
{
	return multi_link(LT_ATTACH_UPROBE_SESSION, prog_fd, path, offsets,
			  cookies, n, pid);
}

int uprobe_session_attach_entries(int prog_fd, const char *path,
				  const uint64_t *offsets,
				  const uint64_t *cookies, size_t n, pid_t pid)
{
	return multi_link(LT_ATTACH_UPROBE_MULTI, prog_fd, path, offsets,
			  cookies, n, pid);
}
