/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Checks of option values against the system, before anything is
 * attached: output paths can be written, --lib is an ELF of this machine,
 * -c parses into words.
 */
#ifndef LT_CLI_CHECK_H
#define LT_CLI_CHECK_H

#include "cli/cli.h"

/*
 * 0, or LT_EXIT_USAGE after one error line. Opens -o's stream into
 * o->report_out (stdout without -o).
 */
int cli_check_options(struct options *o);

/* 0 if s has no control character (CR, LF, ESC, DEL...). */
int cli_check_printable(const char *s);

#endif
