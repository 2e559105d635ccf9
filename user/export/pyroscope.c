// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pushing profiles to Pyroscope. A minimal HTTP/1.1 client rather than
 * libcurl: a push is one small POST, and libcurl would pull OpenSSL,
 * nghttp2, libidn2 and more into the static production build (STATIC=1).
 * Non-blocking connect and poll() give every push a hard time budget; name
 * lookups run in glibc's getaddrinfo_a thread so a slow DNS server cannot
 * hold a report up either. No TLS: push through a local agent or proxy.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/monotime.h"
#include "export/pyroscope.h"

#define MAX_LABEL_LEN 256

struct pyroscope {
	struct pyro_url url;
	char app[MAX_LABEL_LEN];
	struct pyro_label labels[PYRO_MAX_LABELS + 1]; /* host first */
	char *strings[2 * (PYRO_MAX_LABELS + 1)];
	size_t n_labels, n_strings;
	int budget_ms;
	/* name lookup */
	struct gaicb *gai; /* in flight when pending */
	bool pending, numeric;
	struct addrinfo *addrs;
	/* failures and backoff */
	unsigned int failures;
	uint64_t next_try_ms;
	char error[700];
};

static uint64_t mono_ms(void)
{
	return monotime_ns() / 1000000;
}

/* ---- backoff ---------------------------------------------------------- */

uint64_t pyro_backoff_ms(unsigned int failures)
{
	uint64_t ms = PYRO_BACKOFF_MIN;

	if (!failures)
		return 0;
	while (--failures && ms < PYRO_BACKOFF_MAX)
		ms *= 2;
	return ms < PYRO_BACKOFF_MAX ? ms : PYRO_BACKOFF_MAX;
}

/* ---- name lookup ------------------------------------------------------- */

static void forget_addrs(struct pyroscope *p)
{
	if (p->addrs)
		freeaddrinfo(p->addrs);
	p->addrs = NULL;
}

static int resolve_numeric(struct pyroscope *p)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};

	return getaddrinfo(p->url.host, p->url.port, &hints, &p->addrs) ? -1
									: 0;
}

static int start_lookup(struct pyroscope *p)
{
	static const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct gaicb *list[1];

	if (!p->gai) {
		p->gai = calloc(1, sizeof(*p->gai));
		if (!p->gai)
			return -ENOMEM;
	}
	memset(p->gai, 0, sizeof(*p->gai));
	p->gai->ar_name = p->url.host;
	p->gai->ar_service = p->url.port;
	p->gai->ar_request = &hints;
	list[0] = p->gai;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL))
		return -EAGAIN;
	p->pending = true;
	return 0;
}

/* Addresses for the host, waiting for a lookup no longer than the budget. */
static int resolve(struct pyroscope *p, uint64_t deadline)
{
	const struct gaicb *list[1];
	struct timespec ts;
	uint64_t left;
	int err;

	if (p->addrs || (p->numeric && !resolve_numeric(p)))
		return 0;
	if (!p->pending && (err = start_lookup(p))) {
		snprintf(p->error, sizeof(p->error), "cannot look up %s: %s",
			 p->url.host, strerror(-err));
		return err;
	}
	left = deadline > mono_ms() ? deadline - mono_ms() : 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = left % 1000 * 1000000;
	list[0] = p->gai;
	gai_suspend(list, 1, &ts);
	err = gai_error(p->gai);
	if (err == EAI_INPROGRESS) {
		/* Still running: the next push picks the answer up. */
		snprintf(p->error, sizeof(p->error),
			 "looking up %s: no answer yet", p->url.host);
		return -ETIMEDOUT;
	}
	p->pending = false;
	if (err) {
		snprintf(p->error, sizeof(p->error), "cannot look up %s: %s",
			 p->url.host, gai_strerror(err));
		return -EHOSTUNREACH;
	}
	p->addrs = p->gai->ar_result;
	return 0;
}

/* ---- HTTP -------------------------------------------------------------- */

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now = mono_ms();
	int n;

	do {
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, deadline - now);
		now = mono_ms();
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int connect_to(const struct addrinfo *ai, uint64_t deadline)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	socklen_t len = sizeof(int);
	int err = 0, so_err = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		err = -errno;
	if (!err)
		err = wait_fd(fd, POLLOUT, deadline);
	if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len))
		err = -errno;
	if (!err && so_err)
		err = -so_err;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t sent = send(fd, data, n, MSG_NOSIGNAL);
		int err;

		if (sent < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (sent < 0) {
			err = wait_fd(fd, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		data += sent;
		n -= sent;
	}
	return 0;
}

/* The status code of the answer's first line; the rest is not needed. */
static int read_status(int fd, uint64_t deadline, int *status)
{
	char buf[256];
	size_t used = 0;

	while (used + 1 < sizeof(buf)) {
		ssize_t n = recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
		int err;

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n < 0) {
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				return err;
			continue;
		}
		if (!n)
			break;
		used += n;
		buf[used] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[used] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return -EPROTO;
	return 0;
}

static int post(struct pyroscope *p, const char *head, const char *body,
		size_t len, uint64_t deadline, int *status)
{
	const struct addrinfo *ai;
	const char *step = "connect to";
	int fd = -ENOENT, err;

	for (ai = p->addrs; ai; ai = ai->ai_next) {
		fd = connect_to(ai, deadline);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	err = fd < 0 ? fd : 0;
	if (!err) {
		step = "send to";
		err = send_all(fd, head, strlen(head), deadline);
	}
	if (!err)
		err = send_all(fd, body, len, deadline);
	if (!err) {
		step = "read the answer of";
		err = read_status(fd, deadline, status);
	}
	if (fd >= 0)
		close(fd);
	if (err)
		snprintf(p->error, sizeof(p->error), "%s %s: %s", step,
			 p->url.hostport,
			 err == -ETIMEDOUT ? "timed out" : strerror(-err));
	return err;
}

/* ---- pushing ----------------------------------------------------------- */

static int push_once(struct pyroscope *p, const struct pyro_label *extra,
		     size_t n_extra, const char *body, size_t len, time_t from,
		     time_t until)
{
	uint64_t deadline = mono_ms() + p->budget_ms;
	struct pyro_label autos[PYRO_MAX_LABELS + 8];
	size_t n_autos = 0, i;
	char name[2048], *head;
	int err, status = 0;

	err = resolve(p, deadline);
	if (err)
		return err;
	autos[n_autos++] = p->labels[0];
	for (i = 0; i < n_extra && n_autos < PYRO_MAX_LABELS + 8; i++)
		autos[n_autos++] = extra[i];
	pyro_name(name, sizeof(name), p->app, autos, n_autos, p->labels + 1,
		  p->n_labels - 1);
	head = pyro_request_head(&p->url, name, from, until, len);
	if (!head)
		return -ENOMEM;
	err = post(p, head, body, len, deadline, &status);
	free(head);
	if (err) {
		/* The address may have changed: look it up again next time. */
		forget_addrs(p);
		return err;
	}
	if (status < 200 || status > 299) {
		snprintf(p->error, sizeof(p->error), "%s answered HTTP %d",
			 p->url.hostport, status);
		return -EREMOTEIO;
	}
	return 0;
}

int pyroscope_push(struct pyroscope *p, const struct pyro_label *extra,
		   size_t n_extra, const char *body, size_t len, time_t from,
		   time_t until)
{
	uint64_t now = mono_ms();
	int err;

	if (p->failures && now < p->next_try_ms)
		return 1;
	err = push_once(p, extra, n_extra, body, len, from, until);
	if (!err) {
		if (p->failures)
			lt_info("pyroscope: pushing to %s again after %u failed attempt%s",
				p->url.shown, p->failures,
				p->failures == 1 ? "" : "s");
		else
			lt_debug("pyroscope: pushed %zu bytes to %s", len,
				 p->url.shown);
		p->failures = 0;
		return 0;
	}
	p->failures++;
	p->next_try_ms = mono_ms() + pyro_backoff_ms(p->failures);
	/* One line when pushing starts failing, not one per report. */
	if (p->failures == 1)
		lt_warn("pyroscope: cannot push to %s: %s; tracing goes on, retrying with backoff",
			p->url.shown, p->error);
	else
		lt_debug("pyroscope: attempt %u failed: %s", p->failures,
			 p->error);
	return err;
}

/* ---- life -------------------------------------------------------------- */

static int keep_label(struct pyroscope *p, const char *key, const char *value)
{
	char *k = strdup(key), *v = strdup(value);

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	p->strings[p->n_strings++] = k;
	p->strings[p->n_strings++] = v;
	p->labels[p->n_labels].key = k;
	p->labels[p->n_labels++].value = v;
	return 0;
}

static int host_label(struct pyroscope *p)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) || !host[0])
		strcpy(host, "unknown");
	return keep_label(p, "host", host);
}

struct pyroscope *pyroscope_new(const char *url, const char *app,
				const struct pyro_label *labels, size_t n)
{
	struct pyroscope *p = calloc(1, sizeof(*p));
	const char *why;
	size_t i;

	if (!p)
		goto oom;
	if (pyro_parse_url(url, &p->url, &why)) {
		lt_error("invalid --pyroscope URL '%s': %s", url, why);
		free(p);
		return NULL;
	}
	snprintf(p->app, sizeof(p->app), "%s", app);
	p->budget_ms = PYRO_BUDGET_MS;
	if (host_label(p))
		goto oom;
	for (i = 0; i < n && i < PYRO_MAX_LABELS; i++)
		if (keep_label(p, labels[i].key, labels[i].value))
			goto oom;
	/* Literal addresses need no lookup thread. */
	p->numeric = !resolve_numeric(p);
	return p;
oom:
	lt_error("out of memory");
	pyroscope_free(p);
	return NULL;
}

void pyroscope_set_budget(struct pyroscope *p, int ms)
{
	p->budget_ms = ms;
}

void pyroscope_free(struct pyroscope *p)
{
	size_t i;

	if (!p)
		return;
	if (p->pending) {
		int c = gai_cancel(p->gai);

		/* A lookup still running writes to its gaicb: leave it be. */
		if (c == EAI_NOTCANCELED)
			p->gai = NULL;
		else if (c == EAI_ALLDONE && !gai_error(p->gai))
			freeaddrinfo(p->gai->ar_result);
	}
	forget_addrs(p);
	free(p->gai);
	for (i = 0; i < p->n_strings; i++)
		free(p->strings[i]);
	free(p);
}
