/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/export/pyroscope.c and pyro_request.c: URLs, names,
 * requests, backoff, and pushes to servers on the loopback interface that
 * answer, refuse, fail or never answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/pyro_request.h"
#include "export/pyroscope.h"

/* ---- URLs, names, requests --------------------------------------------- */

static struct pyro_url parse_ok(const char *s)
{
	struct pyro_url u;
	const char *why = NULL;

	if (pyro_parse_url(s, &u, &why))
		fail_msg("%s rejected: %s", s, why);
	return u;
}

static void test_parse_url(void **state)
{
	struct pyro_url u = parse_ok("http://127.0.0.1:4040");

	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "4040");
	assert_string_equal(u.hostport, "127.0.0.1:4040");
	assert_string_equal(u.path, "");
	assert_string_equal(u.auth, "");
	u = parse_ok("HTTP://pyro.example:80/pyroscope/");
	assert_string_equal(u.host, "pyro.example");
	assert_string_equal(u.path, "/pyroscope");
	u = parse_ok("http://user:pw@host");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.auth, "dXNlcjpwdw==");
	/* Credentials never show in messages. */
	assert_string_equal(u.shown, "http://host");
	u = parse_ok("http://[::1]:4040/x");
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.hostport, "[::1]:4040");
	assert_string_equal(u.shown, "http://[::1]:4040/x");
}

static void test_parse_url_bad(void **state)
{
	static const char *const bad[] = {
		"ftp://host",	    "http://",		 "http://:80",
		"http://host:0",    "http://host:65536", "http://host:4x",
		"http://host/?a=1", "http://host#f",	 "http://[::1",
		"http://[::1]x",    "host:4040",	 "http://h ost",
	};
	struct pyro_url u;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!pyro_parse_url(bad[i], &u, &why))
			fail_msg("%s accepted", bad[i]);
	assert_int_equal(pyro_parse_url("https://h", &u, &why), -EINVAL);
	assert_non_null(strstr(why, "https"));
}

static void test_name(void **state)
{
	const struct pyro_label autos[] = { { "host", "web-1" },
					    { "pid", "12" },
					    { "command", "my app" } };
	const struct pyro_label user[] = { { "env", "prod,eu" },
					   { "host", "h2" } };
	char buf[256];

	pyro_name(buf, sizeof(buf), "demo", autos, 3, NULL, 0);
	assert_string_equal(
		buf, "demo.inuse_space{host=web-1,pid=12,command=my_app}");
	/* A user label replaces the automatic one; unsafe bytes become _. */
	pyro_name(buf, sizeof(buf), "demo", autos, 3, user, 2);
	assert_string_equal(
		buf,
		"demo.inuse_space{pid=12,command=my_app,env=prod_eu,host=h2}");
	/* Truncated, still terminated. */
	assert_int_equal(pyro_name(buf, 8, "demo", autos, 3, NULL, 0), 7);
	assert_string_equal(buf, "demo.in");
}

static void test_valid_key(void **state)
{
	assert_true(pyro_valid_key("env"));
	assert_true(pyro_valid_key("_a.b_2"));
	assert_false(pyro_valid_key(""));
	assert_false(pyro_valid_key("2x"));
	assert_false(pyro_valid_key("a-b"));
	assert_false(pyro_valid_key("a=b"));
}

static void test_request_head(void **state)
{
	struct pyro_url u = parse_ok("http://u:p@h:99/base");
	char *head = pyro_request_head(&u, "a.inuse_space{host=h}", 10, 20, 5);

	assert_non_null(head);
	assert_memory_equal(
		head,
		"POST /base/ingest?name=a.inuse_space%7Bhost%3Dh%7D&from=10&until=20&format=folded&units=bytes&aggregationType=average",
		115);
	assert_non_null(strstr(head, " HTTP/1.1\r\nHost: h:99\r\n"));
	assert_non_null(strstr(head, "\r\nContent-Length: 5\r\n"));
	assert_non_null(strstr(head, "\r\nAuthorization: Basic dTpw\r\n"));
	assert_string_equal(head + strlen(head) - 4, "\r\n\r\n");
	free(head);
}

static void test_backoff(void **state)
{
	assert_int_equal(pyro_backoff_ms(0), 0);
	assert_int_equal(pyro_backoff_ms(1), PYRO_BACKOFF_MIN);
	assert_int_equal(pyro_backoff_ms(2), 2 * PYRO_BACKOFF_MIN);
	assert_int_equal(pyro_backoff_ms(4), 8 * PYRO_BACKOFF_MIN);
	assert_int_equal(pyro_backoff_ms(30), PYRO_BACKOFF_MAX);
	assert_int_equal(pyro_backoff_ms(~0u), PYRO_BACKOFF_MAX);
}

/* ---- pushes to loopback servers ---------------------------------------- */

enum behaviour { ANSWER_200, ANSWER_500, NEVER_ANSWER };

struct server {
	int fd;
	int port;
	enum behaviour how;
	char request[8192];
	size_t len;
	pthread_t thread;
};

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Read until the head and the body it announces are in. */
static void read_request(struct server *s, int c)
{
	const char *cl, *end;
	ssize_t n;

	while (s->len + 1 < sizeof(s->request)) {
		n = read(c, s->request + s->len,
			 sizeof(s->request) - 1 - s->len);
		if (n <= 0)
			break;
		s->len += n;
		s->request[s->len] = '\0';
		end = strstr(s->request, "\r\n\r\n");
		cl = strstr(s->request, "Content-Length: ");
		if (end && cl &&
		    s->len >= (size_t)(end + 4 - s->request) +
				      strtoul(cl + 16, NULL, 10))
			break;
	}
}

static void *serve(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char bad[] =
		"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	read_request(s, c);
	if (s->how == ANSWER_200 && write(c, ok, sizeof(ok) - 1) < 0)
		s->len = 0;
	if (s->how == ANSWER_500 && write(c, bad, sizeof(bad) - 1) < 0)
		s->len = 0;
	close(c);
	return NULL;
}

static void start_server(struct server *s, enum behaviour how)
{
	memset(s, 0, sizeof(*s));
	s->how = how;
	s->fd = listen_loopback(&s->port);
	/* A server that never answers does not even accept. */
	if (how != NEVER_ANSWER)
		assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void stop_server(struct server *s)
{
	if (s->how != NEVER_ANSWER)
		pthread_join(s->thread, NULL);
	close(s->fd);
}

static struct pyroscope *client(int port)
{
	const struct pyro_label labels[] = { { "env", "test" } };
	char url[64];
	struct pyroscope *p;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	p = pyroscope_new(url, "unit", labels, 1);
	assert_non_null(p);
	return p;
}

static const char body[] = "main;leak 4096\nmain;cache 100\n";

static void test_push_ok(void **state)
{
	const struct pyro_label extra[] = { { "pid", "7" } };
	struct server s;
	struct pyroscope *p;
	const char *got;

	start_server(&s, ANSWER_200);
	p = client(s.port);
	assert_int_equal(
		pyroscope_push(p, extra, 1, body, strlen(body), 100, 110), 0);
	stop_server(&s);
	got = s.request;
	assert_memory_equal(got, "POST /ingest?name=unit.inuse_space%7Bhost%3D",
			    44);
	assert_non_null(
		strstr(got, "%2Cpid%3D7%2Cenv%3Dtest%7D&from=100&until=110&"));
	assert_string_equal(strstr(got, "\r\n\r\n") + 4, body);
	pyroscope_free(p);
}

/* A name goes through the lookup thread; every address is tried. */
static void test_push_by_name(void **state)
{
	struct pyroscope *p;
	struct server s;
	char url[64];

	start_server(&s, ANSWER_200);
	snprintf(url, sizeof(url), "http://localhost:%d/", s.port);
	p = pyroscope_new(url, "unit", NULL, 0);
	assert_non_null(p);
	assert_int_equal(pyroscope_push(p, NULL, 0, body, strlen(body), 1, 2),
			 0);
	stop_server(&s);
	assert_non_null(strstr(s.request, "POST /ingest?"));
	assert_non_null(strstr(s.request, "\r\nHost: localhost:"));
	pyroscope_free(p);
}

static void test_push_refused(void **state)
{
	struct pyroscope *p;
	uint64_t t0;
	int port, fd = listen_loopback(&port);

	/* Nothing listens there any more. */
	close(fd);
	p = client(port);
	t0 = ms_now();
	assert_int_equal(pyroscope_push(p, NULL, 0, body, strlen(body), 1, 2),
			 -ECONNREFUSED);
	assert_true(ms_now() - t0 < 1000);
	/* Backing off: the next push is skipped at once. */
	assert_int_equal(pyroscope_push(p, NULL, 0, body, strlen(body), 1, 2),
			 1);
	pyroscope_free(p);
}

static void test_push_server_error(void **state)
{
	struct server s;
	struct pyroscope *p;

	start_server(&s, ANSWER_500);
	p = client(s.port);
	assert_int_equal(pyroscope_push(p, NULL, 0, body, strlen(body), 1, 2),
			 -EREMOTEIO);
	stop_server(&s);
	pyroscope_free(p);
}

static void test_push_bounded(void **state)
{
	struct server s;
	struct pyroscope *p;
	uint64_t t0, took;

	start_server(&s, NEVER_ANSWER);
	p = client(s.port);
	pyroscope_set_budget(p, 300);
	t0 = ms_now();
	assert_int_equal(pyroscope_push(p, NULL, 0, body, strlen(body), 1, 2),
			 -ETIMEDOUT);
	took = ms_now() - t0;
	assert_true(took >= 250);
	assert_true(took < 1500);
	stop_server(&s);
	pyroscope_free(p);
}

static void test_new_bad_url(void **state)
{
	assert_null(pyroscope_new("https://x", "a", NULL, 0));
	assert_null(pyroscope_new("nonsense", "a", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_parse_url_bad),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_valid_key),
		cmocka_unit_test(test_request_head),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_push_ok),
		cmocka_unit_test(test_push_by_name),
		cmocka_unit_test(test_push_refused),
		cmocka_unit_test(test_push_server_error),
		cmocka_unit_test(test_push_bounded),
		cmocka_unit_test(test_new_bad_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
