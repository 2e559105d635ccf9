/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A tracing session: attach, collect, report every interval, detach. */
#ifndef LT_SESSION_H
#define LT_SESSION_H

#include "cli/cli.h"

/* Run until stopped, the targets exit, or COUNT reports. Exit status. */
int session_run(const struct options *opts);

#endif
