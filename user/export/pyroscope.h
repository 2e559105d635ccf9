/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --pyroscope URL: push each report's outstanding bytes to a Pyroscope
 * server (POST /ingest, folded stacks, units=bytes, aggregationType=average)
 * without ever holding a report up for long: every push has a time budget,
 * failures are reported once and retried with exponential backoff.
 */
#ifndef LT_PYROSCOPE_H
#define LT_PYROSCOPE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "export/pyro_request.h"

#define PYRO_BUDGET_MS	 2000	/* longest a push may take */
#define PYRO_BACKOFF_MIN 1000	/* ms after the first failure */
#define PYRO_BACKOFF_MAX 300000 /* ms, the longest wait between tries */

struct pyroscope;

/*
 * A client for url with the application name and labels (copied; host is
 * added). NULL after one error line when the URL is not
 * http://[USER:PASSWORD@]HOST[:PORT][/PATH] or memory runs out.
 */
struct pyroscope *pyroscope_new(const char *url, const char *app,
				const struct pyro_label *labels, size_t n);

/*
 * Push one profile of folded stacks ("a;b;c bytes" lines) covering
 * [from, until] with the extra labels (pid, command). Returns 0 when the
 * server took it, 1 when skipped while backing off, -errno on failure.
 */
int pyroscope_push(struct pyroscope *p, const struct pyro_label *extra,
		   size_t n_extra, const char *body, size_t len, time_t from,
		   time_t until);

void pyroscope_free(struct pyroscope *p);

/* ---- parts, exposed for the unit tests --------------------------------- */

/* Milliseconds to wait after the given number of failures in a row. */
uint64_t pyro_backoff_ms(unsigned int failures);

/* Change the time budget of each push (tests use short ones). */
void pyroscope_set_budget(struct pyroscope *p, int ms);

#endif
