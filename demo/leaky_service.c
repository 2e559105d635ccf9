// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A small service for `make demo`: it "handles a request" every 100 ms.
 * Each request builds a response that is freed, and one in four requests
 * stores a session that is never freed: the leak leaktrace should find.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_SIZE (256 * 1024)
#define SESSION_SIZE (64 * 1024)

struct session {
	struct session *next;
	char data[SESSION_SIZE];
};

static struct session *sessions;

static __attribute__((noinline)) void remember_session(int request)
{
	struct session *s = malloc(sizeof(*s));

	if (!s)
		return;
	snprintf(s->data, sizeof(s->data), "session of request %d", request);
	s->next = sessions;
	sessions = s; /* never expired: the leak */
}

static __attribute__((noinline)) void build_response(int request)
{
	char *body = malloc(RESPONSE_SIZE);

	if (!body)
		return;
	memset(body, 'x', RESPONSE_SIZE);
	body[0] = (char)request;
	free(body);
}

static __attribute__((noinline)) void handle_request(int request)
{
	build_response(request);
	if (request % 4 == 0)
		remember_session(request);
}

int main(void)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	int request;

	printf("leaky_service: pid %d, handling a request every 100 ms\n",
	       getpid());
	fflush(stdout);
	for (request = 0;; request++) {
		handle_request(request);
		nanosleep(&pause, NULL);
	}
	return 0;
}
