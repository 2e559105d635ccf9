/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sym_jit [K] [perfmap|none]: K blocks of 1536 bytes leaked by a function
 * generated at run time in anonymous executable memory (x86-64), as a JIT
 * does. With perfmap it is named in /tmp/perf-PID.map ("jit_leak_thunk"),
 * removed at exit; with none it has no name at all.
 */
#include "../target.h"

#include <sys/mman.h>

#define USAGE	"[K blocks (10)] [perfmap|none]"
#define MAX_K	4096
#define SIZE	1536
#define JIT_LEN 4096

static void *volatile kept[MAX_K];
static long long nulls;
static char perfmap_path[64];

typedef void *(*thunk_fn)(void);

/* push rbp; mov rbp,rsp; mov rdi,SIZE; mov rax,malloc; call rax;
 * pop rbp; ret: a frame-pointer frame, like JIT code keeps. */
static size_t emit_thunk(unsigned char *code)
{
	uint64_t size = SIZE, fn = (uint64_t)(uintptr_t)&malloc;
	size_t n = 0;

	code[n++] = 0x55;
	code[n++] = 0x48, code[n++] = 0x89, code[n++] = 0xe5;
	code[n++] = 0x48, code[n++] = 0xbf;
	memcpy(code + n, &size, 8);
	n += 8;
	code[n++] = 0x48, code[n++] = 0xb8;
	memcpy(code + n, &fn, 8);
	n += 8;
	code[n++] = 0xff, code[n++] = 0xd0;
	code[n++] = 0x5d;
	code[n++] = 0xc3;
	return n;
}

static void remove_perfmap(void)
{
	if (perfmap_path[0])
		unlink(perfmap_path);
}

static void write_perfmap(void *code, size_t len)
{
	FILE *f;

	snprintf(perfmap_path, sizeof(perfmap_path), "/tmp/perf-%d.map",
		 (int)getpid());
	f = fopen(perfmap_path, "w");
	if (!f) {
		perror(perfmap_path);
		exit(1);
	}
	fprintf(f, "%lx %zx jit_leak_thunk\n", (unsigned long)code, len);
	fclose(f);
	atexit(remove_perfmap);
}

static thunk_fn make_thunk(bool perfmap)
{
	unsigned char *code = mmap(NULL, JIT_LEN, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t len;

	if (code == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	len = emit_thunk(code);
	if (mprotect(code, JIT_LEN, PROT_READ | PROT_EXEC)) {
		perror("mprotect");
		exit(1);
	}
	if (perfmap)
		write_perfmap(code, len);
	return (thunk_fn)(uintptr_t)code;
}

LT_LEAKFN void jit_caller(thunk_fn thunk, long long k)
{
	long long i;

	for (i = 0; i < k; i++) {
		void *p = thunk();

		if (!p)
			nulls++;
		kept[i] = p;
	}
}

int main(int argc, char **argv)
{
	const char *mode;
	thunk_fn thunk;
	long long k;

	lt_parse("sym_jit", argc, argv, USAGE);
	k = lt_arg(0, 10, 0, USAGE);
	mode = lt_arg_str(1, "perfmap");
	if (k > MAX_K || (strcmp(mode, "perfmap") && strcmp(mode, "none")))
		lt_usage(USAGE);
	thunk = make_thunk(!strcmp(mode, "perfmap"));
	lt_setup();
	lt_wait_go();

	jit_caller(thunk, k);

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "jit_leak_thunk", "heap", k * SIZE, k },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
