// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kernel/linkmap.h"
#include "lib/target_mem.h"

#define MAX_PHDRS 128
#define MAX_DYNS  4096

struct exe_phdrs {
	uint64_t addr; /* AT_PHDR */
	uint64_t num;  /* AT_PHNUM */
};

static int read_auxv(pid_t pid, struct exe_phdrs *ph)
{
	char path[64];
	Elf64_auxv_t aux[64];
	ssize_t n;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, aux, sizeof(aux));
	close(fd);
	if (n < 0)
		return -errno;
	memset(ph, 0, sizeof(*ph));
	for (i = 0; i < (size_t)n / sizeof(aux[0]); i++) {
		if (aux[i].a_type == AT_PHDR)
			ph->addr = aux[i].a_un.a_val;
		else if (aux[i].a_type == AT_PHNUM)
			ph->num = aux[i].a_un.a_val;
	}
	return ph->addr && ph->num && ph->num <= MAX_PHDRS ? 0 : -ENOEXEC;
}

/* Runtime address and size of the executable's dynamic section. */
static int find_dynamic(pid_t pid, const struct exe_phdrs *ph, uint64_t *dyn,
			uint64_t *size)
{
	Elf64_Phdr phdrs[MAX_PHDRS];
	uint64_t bias = 0, i;
	int err, have_phdr = 0;

	err = target_read(pid, ph->addr, phdrs, ph->num * sizeof(phdrs[0]));
	if (err)
		return err;
	for (i = 0; i < ph->num; i++) {
		if (phdrs[i].p_type == PT_PHDR) {
			bias = ph->addr - phdrs[i].p_vaddr;
			have_phdr = 1;
		}
	}
	for (i = 0; i < ph->num && have_phdr; i++) {
		if (phdrs[i].p_type == PT_DYNAMIC) {
			*dyn = bias + phdrs[i].p_vaddr;
			*size = phdrs[i].p_memsz;
			return 0;
		}
	}
	return -ENOENT; /* static, or no PT_PHDR to place it */
}

/* The executable's DT_DEBUG: where the dynamic linker put r_debug. */
static int find_r_debug(pid_t pid, uint64_t dyn, uint64_t size, uint64_t *out)
{
	Elf64_Dyn d[64];
	uint64_t n = size / sizeof(d[0]), done = 0;

	if (n > MAX_DYNS)
		n = MAX_DYNS;
	while (done < n) {
		uint64_t k, chunk = n - done < 64 ? n - done : 64;
		int err = target_read(pid, dyn + done * sizeof(d[0]), d,
				      chunk * sizeof(d[0]));

		if (err)
			return err;
		for (k = 0; k < chunk; k++) {
			if (d[k].d_tag == DT_NULL)
				return -ENOENT;
			if (d[k].d_tag == DT_DEBUG) {
				*out = d[k].d_un.d_ptr;
				return *out ? 0 : -ENOENT;
			}
		}
		done += chunk;
	}
	return -ENOENT;
}

/* The fields of glibc's (and musl's) public struct link_map. */
struct link_map_head {
	uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

static int walk(pid_t pid, uint64_t node, uint64_t *out, size_t max)
{
	struct link_map_head lm = { 0 };
	size_t n = 0;

	while (node && n < max) {
		size_t k;

		if (target_read(pid, node, &lm, sizeof(lm)))
			return n ? (int)n : -EFAULT;
		for (k = 0; k < n; k++)
			if (out[k] == lm.l_ld)
				return n; /* a loop: hostile or torn list */
		out[n++] = lm.l_ld;
		node = lm.l_next;
	}
	return n;
}

int linkmap_read(pid_t pid, uint64_t *out, size_t max)
{
	struct exe_phdrs ph;
	uint64_t dyn, size, r_debug, r_map;
	int err;

	err = read_auxv(pid, &ph);
	if (err)
		return err;
	if (find_dynamic(pid, &ph, &dyn, &size) ||
	    find_r_debug(pid, dyn, size, &r_debug))
		return 0;
	/* struct r_debug { int r_version; struct link_map *r_map; ... } */
	if (target_read(pid, r_debug + 8, &r_map, sizeof(r_map)))
		return 0;
	if (max > LINKMAP_MAX)
		max = LINKMAP_MAX;
	return walk(pid, r_map, out, max);
}
