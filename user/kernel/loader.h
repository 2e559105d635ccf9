/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The BPF loader: checks the system, opens the skeleton, sizes its maps,
 * sets what the kernel side reads before load, loads it, attaches the
 * syscall and process tracepoints, and destroys it all. The skeleton is
 * the loader's; probes get its programs through these functions and
 * everyone else the maps through t->maps (kernel/kmaps.h).
 */
#ifndef LT_LOADER_H
#define LT_LOADER_H

#include <stdint.h>
#include "kernel/tracer.h"

struct bpf_program;

/* Check privileges and BTF, open and load the BPF program. 0 or -errno. */
int loader_open(struct tracer *t, const struct options *opts);

/* Attach the syscall, exit and fork tracepoints. */
int loader_attach_tracepoints(struct tracer *t);

/* Width of the kernel's age buckets (0: no --min-age). */
uint64_t loader_epoch_ns(const struct tracer *t);

/* Classic probes: the entry program of f, the shared return program. */
struct bpf_program *loader_entry_prog(const struct tracer *t, enum lt_func f);
struct bpf_program *loader_return_prog(const struct tracer *t);

/* Sessions: the fd of the one program for every allocator function. */
int loader_session_prog_fd(const struct tracer *t);

/* Detach everything and free. Safe to call twice. */
void loader_destroy(struct tracer *t);

#endif
