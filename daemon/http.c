/*
 * http.c: samvydavd's HTTP service — libmicrohttpd in front of the
 * library's site (site.h). The site decides every answer from the decoded
 * path; this file turns its replies into responses with the headers every
 * reply has, and sets MHD's limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <samvydav/common.h>

#include "http.h"

#define DEFAULT_ADDRESS  "127.0.0.1"
#define DEFAULT_PORT     8737
#define DEFAULT_MAX_CONN 64
#define DEFAULT_PER_IP   16
#define DEFAULT_TIMEOUT  30
#define DEFAULT_MEMORY   (64 * 1024)
#define THREADS          2

/* pages load their own stylesheet, scripts and search data, nothing else */
#define CSP_HTML                                                                                   \
	"default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "                 \
	"script-src 'self'; base-uri 'none'"
#define CSP_RAW "default-src 'none'; sandbox"

struct svd_http {
	struct MHD_Daemon *daemon;
	svd_site *site;
	uint16_t port;
};

/* MHD_OPTION_UNESCAPE_CALLBACK: the site's decoding, for every request. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return svd_site_unescape(s);
}

static void reply_done(void *cls)
{
	svd_site_reply_free(cls);
}

/* Queue a response with the headers every reply has; takes the response. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
                             const char *type, int html)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Security-Policy", html ? CSP_HTML : CSP_RAW) !=
	        MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The headers a reply asks for: cache, moved, download name. 0 or -1. */
static int extra_headers(struct MHD_Response *resp, const svd_site_reply *r)
{
	char disposition[320];

	if (r->cache == SVD_SITE_CACHE_IMMUTABLE &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                            "public, max-age=31536000, immutable") != MHD_YES)
		return -1;
	if (r->location &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location) != MHD_YES)
		return -1;
	if (r->filename) {
		snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"",
		         r->filename);
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
		                            disposition) != MHD_YES)
			return -1;
	}
	return 0;
}

/*
 * The site's reply as a response. A body in memory stays the reply's until
 * the response is sent (then reply_done frees it); a file goes to the
 * response, which closes it, and the reply is freed here.
 */
static enum MHD_Result respond(struct MHD_Connection *c, svd_site_reply *r)
{
	struct MHD_Response *resp;
	unsigned status = r->status;
	const char *type = r->type;
	int html = r->page, streamed = r->fd >= 0;

	if (streamed) {
		if ((resp = MHD_create_response_from_fd64((uint64_t)r->len, r->fd)) != NULL)
			r->fd = -1; /* the response closes it */
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    r->len, (void *)r->data, reply_done, r);
	}
	if (!resp) {
		svd_site_reply_free(r);
		return MHD_NO;
	}
	if (extra_headers(resp, r) < 0) {
		if (streamed)
			svd_site_reply_free(r);
		MHD_destroy_response(resp); /* frees a reply in memory through reply_done */
		return MHD_NO;
	}
	if (streamed)
		svd_site_reply_free(r);
	return queue(c, status, resp, type, html);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	static int seen; /* the marker of a request whose headers have been read */
	static const char not_allowed[] =
	    "405 method not allowed: this mirror only reads: GET and HEAD\n";
	svd_http *h = cls;
	svd_site_reply *r = NULL;
	struct MHD_Response *resp;

	(void)version;
	(void)upload_data;
	/*
	 * Answer on the second call, not the first: a response queued before
	 * MHD has read the whole request makes it close the connection, and
	 * every client would pay a new TCP handshake per request.
	 */
	if (!*con_cls) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body we never read */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		resp = MHD_create_response_from_buffer(sizeof(not_allowed) - 1, (void *)not_allowed,
		                                       MHD_RESPMEM_PERSISTENT);
		if (resp &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
		return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, resp, "text/plain; charset=utf-8", 0);
	}
	if (svd_site_get(&r, h->site, url, strlen(url), NULL) < 0)
		return MHD_NO; /* no memory: MHD closes the connection */
	return respond(c, r);
}

int svd_http_start(svd_http **out, const char *archive_path, const svd_http_opts *opts)
{
	svd_http_opts o = opts ? *opts : (svd_http_opts){0};
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
	svd_http *h = NULL;
	uint16_t port;
	int error = SVD_ERROR;

	*out = NULL;
	if (!archive_path)
		return svd_error_set(SVD_EINVALID, "http: no archive to serve");
	if (!o.address)
		o.address = DEFAULT_ADDRESS;
	port = o.port_any ? 0 : (o.port ? o.port : DEFAULT_PORT);
	if (!o.max_connections)
		o.max_connections = DEFAULT_MAX_CONN;
	if (!o.per_ip)
		o.per_ip = DEFAULT_PER_IP;
	if (!o.timeout_s)
		o.timeout_s = DEFAULT_TIMEOUT;
	if (!o.memory_limit)
		o.memory_limit = DEFAULT_MEMORY;
	if (o.max_connections < THREADS)
		o.max_connections = THREADS;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, o.address, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o.address, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return svd_error_set(SVD_EINVALID,
		                     "http: listen address '%s' is not an IPv4 or IPv6 address "
		                     "(give one such as 127.0.0.1, 0.0.0.0 or ::1)",
		                     o.address);
	}

	if (!(h = calloc(1, sizeof(*h))))
		return svd_error_set(SVD_ERROR, "http: out of memory");
	/* fail here, not on the first request, when there is no archive */
	if ((error = svd_site_new(&h->site, archive_path, o.outbox, o.site)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	h->daemon = MHD_start_daemon(flags, port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, sa,
	                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS,
	                             MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o.max_connections,
	                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o.per_ip,
	                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o.timeout_s,
	                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o.memory_limit,
	                             MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		svd_error_set(SVD_ERROR,
		              "http: cannot listen on %s port %u: %s (is another server using "
		              "that port? choose another one)",
		              o.address, (unsigned)port, errno ? strerror(errno) : "unknown error");
		goto cleanup;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info && info->port ? info->port : port;
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	if (h) {
		svd_site_free(h->site);
		free(h);
	}
	return error;
}

uint16_t svd_http_port(const svd_http *h)
{
	return h ? h->port : 0;
}

void svd_http_refresh(svd_http *h)
{
	if (h)
		svd_site_refresh(h->site);
}

void svd_http_stop(svd_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon); /* its threads end, releasing their handles */
	svd_site_free(h->site);
	free(h);
}
