/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * -c: run a command traced from its first instruction. It is forked and
 * waits on a pipe until its probes are in place; then it is released and
 * execs (execvp: PATH searched once, by the C library).
 */
#ifndef LT_SPAWN_H
#define LT_SPAWN_H

#include "kernel/tracer.h"

/* Fork opts->command and probe it; it runs after spawn_release. */
int spawn_command(struct tracer *t);

/* Let the command run; an exec failure is reported here. */
int spawn_release(struct tracer *t);

/* Close what spawning holds (an unreleased command exits). */
void spawn_close(struct tracer *t);

#endif
