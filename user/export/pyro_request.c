// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a Pyroscope push sends: the parsed server URL, the profile's name
 * with its labels, and the HTTP request head. Pure functions, so the unit
 * tests check them without a server.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "export/pyro_request.h"

static void base64(const char *in, size_t n, char *out, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < len; i += 3) {
		uint32_t v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[o] = '\0';
}

static int parse_port(const char *s, size_t n, struct pyro_url *u)
{
	long port = 0;
	size_t i;

	if (!n || n > 5)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		port = port * 10 + s[i] - '0';
	}
	if (port < 1 || port > 65535)
		return -EINVAL;
	snprintf(u->port, sizeof(u->port), "%ld", port);
	return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port". */
static int parse_authority(const char *s, size_t n, struct pyro_url *u)
{
	const char *end = s + n, *colon;
	size_t hlen;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close == s + 1)
			return -EINVAL;
		hlen = close - s - 1;
		memcpy(u->host, s + 1, hlen < sizeof(u->host) ? hlen : 0);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else {
		colon = memchr(s, ':', n);
		hlen = colon ? (size_t)(colon - s) : n;
		memcpy(u->host, s, hlen < sizeof(u->host) ? hlen : 0);
	}
	if (!hlen || hlen >= sizeof(u->host))
		return -EINVAL;
	u->host[hlen] = '\0';
	strcpy(u->port, "80");
	if (colon && parse_port(colon + 1, end - colon - 1, u))
		return -EINVAL;
	snprintf(u->hostport, sizeof(u->hostport), "%.*s", (int)n, s);
	return 0;
}

int pyro_parse_url(const char *url, struct pyro_url *u, const char **why)
{
	const char *rest, *slash, *at;
	size_t n;

	memset(u, 0, sizeof(*u));
	*why = "expected http://[USER:PASSWORD@]HOST[:PORT][/PATH]";
	if (!strncasecmp(url, "https://", 8)) {
		*why = "https is not supported: push over http:// to a local agent or proxy";
		return -EINVAL;
	}
	if (strncasecmp(url, "http://", 7))
		return -EINVAL;
	rest = url + 7;
	if (strpbrk(rest, "?# \t\r\n"))
		return -EINVAL;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	at = memchr(rest, '@', n);
	if (at) {
		if (at - rest >= 300)
			return -EINVAL;
		base64(rest, at - rest, u->auth, sizeof(u->auth));
		n -= at + 1 - rest;
		rest = at + 1;
	}
	if (parse_authority(rest, n, u))
		return -EINVAL;
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "");
	if (slash && strlen(slash) >= sizeof(u->path))
		return -EINVAL;
	n = strlen(u->path);
	while (n && u->path[n - 1] == '/')
		u->path[--n] = '\0';
	snprintf(u->shown, sizeof(u->shown), "http://%s%s", u->hostport,
		 u->path);
	return 0;
}

int pyro_valid_key(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* Pyroscope's label syntax has no quoting: keep a conservative set. */
static char safe_value_char(char c)
{
	return isalnum((unsigned char)c) || strchr("_-.:/@+", c) ? c : '_';
}

static size_t put(char *buf, size_t len, size_t used, const char *s, bool value)
{
	for (; *s; s++, used++)
		if (used + 1 < len)
			buf[used] = value ? safe_value_char(*s) : *s;
	if (len)
		buf[used < len ? used : len - 1] = '\0';
	return used;
}

static bool overridden(const char *key, const struct pyro_label *user,
		       size_t n_user)
{
	size_t i;

	for (i = 0; i < n_user; i++)
		if (!strcmp(user[i].key, key))
			return true;
	return false;
}

static size_t put_label(char *buf, size_t len, size_t used,
			const struct pyro_label *l, bool *first)
{
	if (!*first)
		used = put(buf, len, used, ",", false);
	*first = false;
	used = put(buf, len, used, l->key, false);
	used = put(buf, len, used, "=", false);
	return put(buf, len, used, *l->value ? l->value : "_", true);
}

size_t pyro_name(char *buf, size_t len, const char *app,
		 const struct pyro_label *autos, size_t n_autos,
		 const struct pyro_label *user, size_t n_user)
{
	bool first = true;
	size_t i, used;

	used = put(buf, len, 0, app, true);
	used = put(buf, len, used, ".inuse_space{", false);
	for (i = 0; i < n_autos; i++)
		if (!overridden(autos[i].key, user, n_user))
			used = put_label(buf, len, used, &autos[i], &first);
	for (i = 0; i < n_user; i++)
		used = put_label(buf, len, used, &user[i], &first);
	used = put(buf, len, used, "}", false);
	return used < len ? used : len ? len - 1 : 0;
}

static size_t url_encode(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char c = *s;

		if (isalnum(c) || strchr("-._~", c))
			out[o++] = c;
		else
			o += snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
	return o;
}

char *pyro_request_head(const struct pyro_url *u, const char *name, time_t from,
			time_t until, size_t body_len)
{
	char enc[4096], auth[600] = "";
	char *head = NULL;

	url_encode(enc, sizeof(enc), name);
	if (u->auth[0])
		snprintf(auth, sizeof(auth), "Authorization: Basic %s\r\n",
			 u->auth);
	if (asprintf(
		    &head,
		    "POST %s/ingest?name=%s&from=%lld&until=%lld&format=folded&units=bytes&aggregationType=average&spyName=leaktrace&sampleRate=100 HTTP/1.1\r\n"
		    "Host: %s\r\n"
		    "User-Agent: leaktrace/%s\r\n"
		    "Content-Type: text/plain\r\n"
		    "Content-Length: %zu\r\n"
		    "%s"
		    "Connection: close\r\n\r\n",
		    u->path, enc, (long long)from, (long long)until,
		    u->hostport, LEAKTRACE_VERSION, body_len, auth) < 0)
		return NULL;
	return head;
}
