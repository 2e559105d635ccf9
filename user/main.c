// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* leaktrace: find the stacks whose memory keeps growing in live processes. */
#include "cli.h"
#include "log.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct options opts;
	int status = parse_options(argc, argv, &opts);

	if (status < 0)
		return 0; /* --help, --version */
	if (status)
		return status;
	lt_verbose = opts.verbose;
	lt_setup_libbpf_logging();
	return session_run(&opts);
}
