// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "kernel/links.h"
#include "lib/proc.h"
#include "lib/vec.h"

static void release_link(struct tracer_link *l)
{
	if (l->link)
		bpf_link__destroy(l->link);
	else
		close(l->fd);
}

/*
 * Removing a probe waits for an RCU grace period (tens of ms). Removals in
 * parallel share grace periods, so many links go in about the time of one.
 */
#define RELEASE_THREADS 32

struct release_slice {
	struct tracer_link *links;
	size_t n;
};

static void *release_slice(void *arg)
{
	struct release_slice *r = arg;
	size_t i;

	for (i = 0; i < r->n; i++)
		release_link(&r->links[i]);
	return NULL;
}

static void release_links(struct tracer_link *links, size_t n)
{
	struct release_slice slices[RELEASE_THREADS];
	pthread_t threads[RELEASE_THREADS];
	bool started[RELEASE_THREADS] = { false };
	size_t nt = n < RELEASE_THREADS ? n : RELEASE_THREADS, i, done = 0;

	for (i = 0; i < nt; i++) {
		size_t share = (n - done) / (nt - i);

		slices[i].links = links + done;
		slices[i].n = share;
		done += share;
		started[i] =
			nt > 1 && !pthread_create(&threads[i], NULL,
						  release_slice, &slices[i]);
		if (!started[i])
			release_slice(&slices[i]);
	}
	for (i = 0; i < nt; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
}

int links_keep(struct tracer *t, struct bpf_link *link, int fd, pid_t pid)
{
	struct tracer_link l = { .link = link, .fd = fd, .pid = pid };

	if (VEC_ROOM(&t->links, &t->n_links, &t->cap_links)) {
		release_link(&l);
		return -ENOMEM;
	}
	t->links[t->n_links++] = l;
	return 0;
}

/* Move the links of pids to the end of t->links; returns how many. */
static size_t gather_links(struct tracer *t, const pid_t *pids, size_t n)
{
	size_t i, kept = 0, doomed = 0;
	struct tracer_link l;

	for (i = 0; i < t->n_links; i++) {
		l = t->links[i];
		if (l.pid > 0 && proc_listed(pids, n, l.pid)) {
			doomed++;
			continue;
		}
		t->links[i] = t->links[kept];
		t->links[kept++] = l;
	}
	return doomed;
}

void links_release_pids(struct tracer *t, const pid_t *pids, size_t n)
{
	size_t doomed = gather_links(t, pids, n), i, kept = 0;

	t->n_links -= doomed;
	release_links(t->links + t->n_links, doomed);
	for (i = 0; i < t->n_libs; i++)
		if (!proc_listed(pids, n, t->libs[i].pid))
			t->libs[kept++] = t->libs[i];
	t->n_libs = kept;
}

void links_release_all(struct tracer *t)
{
	release_links(t->links, t->n_links);
	free(t->links);
	t->links = NULL;
	t->n_links = t->cap_links = 0;
}
