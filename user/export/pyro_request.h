/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Pyroscope push's URL, profile name and request head (pure parts). */
#ifndef LT_PYRO_REQUEST_H
#define LT_PYRO_REQUEST_H

#include <stddef.h>
#include <time.h>

#define PYRO_MAX_LABELS 32

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

/* Is s a valid label key ([A-Za-z_][A-Za-z0-9_.]*)? */
int pyro_valid_key(const char *s);

#endif
