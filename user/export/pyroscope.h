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

#define PYRO_BUDGET_MS	 2000	/* longest a push may take */
#define PYRO_BACKOFF_MIN 1000	/* ms after the first failure */
#define PYRO_BACKOFF_MAX 300000 /* ms, the longest wait between tries */
#define PYRO_MAX_LABELS	 32

struct pyro_label {
	const char *key, *value;
};

struct pyro_url {
	char host[256];	    /* without brackets for IPv6 literals */
	char port[8];	    /* "80" when not given */
	char hostport[300]; /* for the Host header */
	char path[512];	    /* prefix before /ingest, no trailing '/' */
	char auth[512];	    /* base64 of "user:password", "" for none */
	char shown[800];    /* the URL without credentials, for messages */
};

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

/* 0, or -EINVAL with a reason in why. */
int pyro_parse_url(const char *url, struct pyro_url *u, const char **why);

/*
 * "APP.inuse_space{k=v,...}": automatic labels (base, then extra) first,
 * each replaced by a user label of the same key; values made safe for
 * Pyroscope's label syntax. Returns the length (truncated to len - 1).
 */
size_t pyro_name(char *buf, size_t len, const char *app,
		 const struct pyro_label *autos, size_t n_autos,
		 const struct pyro_label *user, size_t n_user);

/* The request head for a body of body_len bytes; malloc'd, NULL on OOM. */
char *pyro_request_head(const struct pyro_url *u, const char *name, time_t from,
			time_t until, size_t body_len);

/* Milliseconds to wait after the given number of failures in a row. */
uint64_t pyro_backoff_ms(unsigned int failures);

/* Change the time budget of each push (tests use short ones). */
void pyroscope_set_budget(struct pyroscope *p, int ms);

/* Is s a valid label key ([A-Za-z_][A-Za-z0-9_.]*)? */
int pyro_valid_key(const char *s);

#endif
