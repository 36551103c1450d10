/*
 * net_stream.c: the TCP connections libgit2 makes for peers (git://,
 * http://, and under TLS https://), with time and size limits.
 *
 * libgit2 1.5 has no socket timeout: a peer that accepts the connection and
 * then says nothing leaves a fetch waiting in read() for as long as the
 * operating system keeps the connection, and a peer that talks forever
 * before the pack starts (an endless ref advertisement) is never counted by
 * the transfer callbacks. This stream, registered as libgit2's standard
 * stream, gives every connect, read and write a deadline and counts every
 * byte read against a cap. The limits are the calling thread's, set by
 * svd_net_limits() around one fetch.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/stream.h>

#include "net_stream.h"
#include "store_internal.h"
#include "util.h"

#define NET_DEFAULT_TIMEOUT 60
#define NET_DEFAULT_BYTES   ((uint64_t)4 << 30)

/* The limits of the fetch running on this thread (0: the defaults). */
static __thread unsigned net_timeout_s;
static __thread uint64_t net_max_bytes;
static __thread uint64_t net_bytes; /* read by every stream of this fetch */

typedef struct net_stream {
	git_stream parent;
	char *host, *port;
	int fd;
	unsigned timeout_s;
} net_stream;

void svd_net_limits(unsigned timeout_s, uint64_t max_bytes)
{
	net_timeout_s = timeout_s;
	net_max_bytes = max_bytes;
	net_bytes = 0;
}

uint64_t svd_net_bytes(void)
{
	return net_bytes;
}

static int fail(const net_stream *s, const char *what)
{
	git_error_set_str(GIT_ERROR_NET, what);
	(void)s;
	return -1;
}

/* Wait until fd is ready for events, at most the stream's timeout. */
static int wait_fd(net_stream *s, short events, const char *doing)
{
	struct pollfd p = {.fd = s->fd, .events = events};
	char msg[256];
	int n;

	do
		n = poll(&p, 1, (int)s->timeout_s * 1000);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return 0;
	if (n == 0)
		snprintf(msg, sizeof(msg),
		         "%s:%s did not answer for %u s while %s (the peer stalls; cut off)",
		         s->host, s->port, s->timeout_s, doing);
	else
		snprintf(msg, sizeof(msg), "cannot wait for %s:%s: %s", s->host, s->port,
		         strerror(errno));
	return fail(s, msg);
}

static int net_connect(git_stream *stream)
{
	net_stream *s = (net_stream *)stream;
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char msg[320];
	int rc, err = 0;
	socklen_t len = sizeof(err);

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(s->host, s->port, &hints, &res)) != 0) {
		snprintf(msg, sizeof(msg), "cannot resolve %s: %s", s->host, gai_strerror(rc));
		return fail(s, msg);
	}
	for (ai = res; ai; ai = ai->ai_next) {
		s->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		               ai->ai_protocol);
		if (s->fd < 0)
			continue;
		if (connect(s->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(s, POLLOUT, "connecting") == 0 &&
		     getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0))
			break;
		close(s->fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	if (s->fd < 0) {
		snprintf(msg, sizeof(msg), "cannot connect to %s:%s: %s", s->host, s->port,
		         err ? strerror(err) : "no address answered");
		return fail(s, msg);
	}
	return 0;
}

static ssize_t net_read(git_stream *stream, void *buf, size_t len)
{
	net_stream *s = (net_stream *)stream;
	uint64_t cap = net_max_bytes ? net_max_bytes : NET_DEFAULT_BYTES;
	char msg[256];
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, len, 0);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(msg, sizeof(msg), "cannot read from %s:%s: %s", s->host, s->port,
			         strerror(errno));
			return fail(s, msg);
		}
		if (wait_fd(s, POLLIN, "sending") < 0)
			return -1;
	}
	net_bytes += (uint64_t)n;
	if (net_bytes > cap) {
		snprintf(msg, sizeof(msg),
		         "%s:%s sent more than %llu bytes (over the size cap; cut off)", s->host,
		         s->port, (unsigned long long)cap);
		return fail(s, msg);
	}
	return n;
}

static ssize_t net_write(git_stream *stream, const char *data, size_t len, int flags)
{
	net_stream *s = (net_stream *)stream;
	size_t off = 0;
	char msg[256];
	ssize_t n;

	(void)flags;
	while (off < len) {
		n = send(s->fd, data + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(s, POLLOUT, "taking our request") < 0)
				return -1;
			continue;
		}
		snprintf(msg, sizeof(msg), "cannot write to %s:%s: %s", s->host, s->port,
		         n < 0 ? strerror(errno) : "connection closed");
		return fail(s, msg);
	}
	return (ssize_t)len;
}

static int net_close(git_stream *stream)
{
	net_stream *s = (net_stream *)stream;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return 0;
}

static void net_free(git_stream *stream)
{
	net_stream *s = (net_stream *)stream;

	if (!s)
		return;
	net_close(stream);
	free(s->host);
	free(s->port);
	free(s);
}

static int net_init(git_stream **out, const char *host, const char *port)
{
	net_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->host = svd_strdup(host)) || !(s->port = svd_strdup(port))) {
		if (s) {
			free(s->host);
			free(s);
		}
		git_error_set_oom();
		return -1;
	}
	s->fd = -1;
	s->timeout_s = net_timeout_s ? net_timeout_s : NET_DEFAULT_TIMEOUT;
	s->parent.version = GIT_STREAM_VERSION;
	s->parent.connect = net_connect;
	s->parent.read = net_read;
	s->parent.write = net_write;
	s->parent.close = net_close;
	s->parent.free = net_free;
	*out = &s->parent;
	return 0;
}

static int registered = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void do_register(void)
{
	git_stream_registration reg = {0};

	reg.version = GIT_STREAM_VERSION;
	reg.init = net_init;
	registered = git_stream_register(GIT_STREAM_STANDARD, &reg);
}

int svd_net_install(void)
{
	pthread_once(&once, do_register);
	if (registered < 0)
		return svd_git_error("cannot install the network stream with timeouts");
	return 0;
}
