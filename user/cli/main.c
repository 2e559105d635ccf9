// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* leaktrace: find the stacks whose memory keeps growing in live processes. */
#include <sys/resource.h>
#include "cli/cli.h"
#include "cli/cli_check.h"
#include "lib/log.h"
#include "core/session.h"

/* Every probe and every open binary holds a descriptor: allow many. */
static void raise_fd_limit(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int main(int argc, char **argv)
{
	struct options opts;
	int status = parse_options(argc, argv, &opts);

	if (status < 0)
		return 0; /* --help, --version */
	if (status)
		return status;
	lt_verbose = opts.verbose;
	status = cli_check_options(&opts);
	if (status)
		return status;
	raise_fd_limit();
	lt_setup_libbpf_logging();
	return session_run(&opts);
}
