/*
 * http.c: samvydavd's HTTP service — libmicrohttpd in front of the
 * library's site (site.h). The site decides every answer from the decoded
 * path and the raw query; this file turns its replies into responses (the
 * headers every reply has, validators and 304, byte ranges, gzip), sets
 * MHD's limits, and adds what MHD lacks: a deadline for a request's
 * headers, kept by a sweeper thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <microhttpd.h>
#include <samvydav/common.h>
#include <samvydav/text.h>
#include <sodium.h>
#include <zlib.h>

#include "http.h"
#include "http_parse.h"

#define DEFAULT_ADDRESS  "127.0.0.1"
#define DEFAULT_PORT     8737
#define DEFAULT_MAX_CONN 4096
#define DEFAULT_PER_IP   256
#define DEFAULT_TIMEOUT  30
#define DEFAULT_HEADERS  10
#define DEFAULT_MEMORY   (32 * 1024)
#define THREADS          2
#define BACKLOG          1024
#define FD_RESERVE       256  /* files beside the connections: packs, logs, the outbox */
#define MIN_CONN         16   /* fewer is no service: refuse to start instead */
#define PRESSURE_MS      1000 /* the header deadline once 3/4 of the slots are taken */
#define SWEEP_MS         250
#define REPORT_MS        10000 /* at most one line about cut connections per 10 s */
#define ETAG_MAX         128
#define GZIP_MIN         1024 /* smaller bodies gain less than gzip's own 18 bytes and a header */
#define GZIP_MAX         (16u << 20)
#define GZIP_LEVEL       6

/* pages load their own stylesheet, scripts and search data, nothing else */
#define CSP_HTML                                                                                   \
	"default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "                 \
	"script-src 'self'; base-uri 'none'"
#define CSP_RAW "default-src 'none'; sandbox"

/*
 * One open connection, from MHD's STARTED notification to its CLOSED one:
 * whether it is still sending a request's headers, and since when. The
 * sweeper reads the list; everything in it is guarded by svd_http.lock.
 */
typedef struct conn {
	struct conn *prev, *next;
	int fd;         /* MHD's; only ever shutdown() here, never closed */
	int in_headers; /* waiting for (the rest of) a request's headers */
	int cut;        /* shut down by the sweeper */
	int64_t since;  /* when the wait began, monotonic ms */
} conn;

/* One request, made by the URI log callback (MHD's con_cls). */
typedef struct request {
	unsigned calls; /* of the access handler */
	int answered;   /* a response is queued */
	int query_long; /* the query was longer than SVD_HTTP_QUERY_MAX */
	char *query;    /* the raw bytes after '?', or NULL: points into buf */
	char buf[];
} request;

struct svd_http {
	struct MHD_Daemon *daemon;
	svd_site *site;
	int (*get)(svd_site_reply **out, void *cls, const char *path, size_t len,
	           const char *query);
	void (*put)(svd_site_reply *r);
	void *get_cls;
	uint16_t port;
	unsigned max_conn;
	int64_t header_ms;
	svd_http_log_fn log;
	void *log_cls;

	pthread_mutex_t lock; /* the list, its count, the sweeper's state */
	pthread_cond_t wake;
	pthread_t sweeper;
	int sweeper_running, stopping;
	conn *conns;
	unsigned nconns;
	unsigned cut_pending, cut_pressure; /* cut since the last report */
	int64_t reported;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(const svd_http *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const svd_http *h, int level, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (!h->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->log(h->log_cls, level, msg);
}

/* The client's address as text, for a log line. */
static const char *client(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, size, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
		          (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          buf, (socklen_t)size);
	return buf;
}

/* Client text as a log line may show it (svd_text_escape), cut to size. */
static const char *shown(char *buf, size_t size, const char *s)
{
	svd_text_escape(buf, size, s, strlen(s), 0);
	return buf;
}

/*
 * MHD_OPTION_NOTIFY_CONNECTION. MHD calls CLOSED before it closes the
 * socket (daemon.c, MHD_cleanup_connections and the failure path of
 * new_connection_process_, in 0.9.75), and the record leaves the list
 * under the lock the sweeper holds while it calls shutdown(): so the
 * sweeper never touches a descriptor number the system has given to
 * another file.
 */
static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
	svd_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	conn *k;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = NULL;
		if (!ci)
			return;
		if (!(k = calloc(1, sizeof(*k)))) {
			/* no memory to keep its deadline: refuse it rather than serve it unbounded */
			shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		k->fd = ci->connect_fd;
		k->in_headers = 1;
		k->since = now_ms();
		pthread_mutex_lock(&h->lock);
		k->next = h->conns;
		if (h->conns)
			h->conns->prev = k;
		h->conns = k;
		h->nconns++;
		pthread_mutex_unlock(&h->lock);
		*socket_context = k;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!(k = *socket_context))
			return;
		pthread_mutex_lock(&h->lock);
		if (k->prev)
			k->prev->next = k->next;
		else
			h->conns = k->next;
		if (k->next)
			k->next->prev = k->prev;
		h->nconns--;
		pthread_mutex_unlock(&h->lock);
		*socket_context = NULL;
		free(k);
	}
}

/* The connection's record: its headers are in (1), or it waits for the next (0). */
static void mark(svd_http *h, struct MHD_Connection *c, int headers_in)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	conn *k = ci ? ci->socket_context : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&h->lock);
	k->in_headers = !headers_in;
	k->since = now_ms();
	pthread_mutex_unlock(&h->lock);
}

/*
 * The sweeper: four times a second, shut down every connection that has
 * waited for its headers longer than the deadline (1 s once 3/4 of the
 * slots are taken). shutdown(), not close(): the descriptor stays MHD's,
 * which sees the end of the stream and closes it in its own thread.
 */
static void *sweep(void *arg)
{
	svd_http *h = arg;
	struct timespec ts;
	int64_t now, deadline;
	unsigned cut, open_now;
	int pressure;
	conn *k;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
		if (h->stopping)
			break;
		now = now_ms();
		pressure = h->nconns > h->max_conn / 4 * 3;
		deadline = pressure && h->header_ms > PRESSURE_MS ? PRESSURE_MS : h->header_ms;
		for (cut = 0, k = h->conns; k; k = k->next) {
			if (k->in_headers && !k->cut && now - k->since >= deadline) {
				shutdown(k->fd, SHUT_RDWR);
				k->cut = 1;
				cut++;
			}
		}
		h->cut_pending += cut;
		if (pressure)
			h->cut_pressure += cut;
		if (h->cut_pending && now - h->reported >= REPORT_MS) {
			cut = h->cut_pending;
			open_now = h->nconns;
			pressure = h->cut_pressure != 0;
			h->cut_pending = h->cut_pressure = 0;
			h->reported = now;
			pthread_mutex_unlock(&h->lock);
			report(h, 6,
			       "http: cut %u connections that had not sent their headers within "
			       "%" PRId64 " ms%s (%u open of %u)",
			       cut, h->header_ms,
			       pressure ? " (1 s for some: 3/4 of the connections were taken)" : "",
			       open_now, h->max_conn);
			pthread_mutex_lock(&h->lock);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/*
 * MHD_OPTION_URI_LOG_CALLBACK: the request line's URI before MHD splits
 * and decodes it. Its query is kept as it came (bounded) for the site;
 * what this returns is the request's context (con_cls).
 */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *c)
{
	const char *q = strchr(uri, '?');
	size_t n = q ? strlen(q + 1) : 0;
	request *r;

	(void)cls;
	(void)c;
	if (n > SVD_HTTP_QUERY_MAX)
		n = 0;
	if (!(r = calloc(1, sizeof(*r) + n + 1)))
		return NULL; /* the handler closes the connection */
	if (q && strlen(q + 1) > SVD_HTTP_QUERY_MAX) {
		r->query_long = 1;
	} else if (q) {
		memcpy(r->buf, q + 1, n + 1);
		r->query = r->buf;
	}
	return r;
}

/* MHD_OPTION_NOTIFY_COMPLETED: the request is over; a kept-alive connection waits anew. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
	mark(cls, c, 0);
}

/* MHD_OPTION_UNESCAPE_CALLBACK: the site's decoding, for every request. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return svd_site_unescape(s);
}

/* A reply whose body a response sends: released with the response. */
typedef struct held {
	const svd_http *h;
	svd_site_reply *r;
} held;

static void reply_done(void *cls)
{
	held *k = cls;

	k->h->put(k->r);
	free(k);
}

static int site_get(svd_site_reply **out, void *cls, const char *path, size_t len,
                    const char *query)
{
	return svd_site_get(out, cls, path, len, query);
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

/*
 * A short plain-text answer of our own (405, 400, 414, 416), with one extra
 * header or none; never cached. close: the connection ends after it.
 */
static enum MHD_Result plain(struct MHD_Connection *c, unsigned status, const char *text,
                             const char *name, const char *value, int close)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return MHD_NO;
	if ((name && MHD_add_response_header(resp, name, value) != MHD_YES) ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    (close &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(c, status, resp, "text/plain; charset=utf-8", 0);
}

static const char *cache_control(svd_site_cache cache)
{
	switch (cache) {
	case SVD_SITE_CACHE_REVALIDATE:
		return "no-cache";
	case SVD_SITE_CACHE_IMMUTABLE:
		return "public, max-age=31536000, immutable";
	case SVD_SITE_CACHE_NONE:
		break;
	}
	return "no-store";
}

/* The headers a reply asks for: cache, moved, download name, retry. 0 or -1. */
static int extra_headers(struct MHD_Response *resp, const svd_site_reply *r, unsigned status)
{
	char disposition[320], retry[16];

	if (MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	        cache_control(status < 300 || status == 304 ? r->cache : SVD_SITE_CACHE_NONE)) !=
	    MHD_YES)
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
	if (status == 503 && r->retry_after) {
		snprintf(retry, sizeof(retry), "%u", r->retry_after);
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry) != MHD_YES)
			return -1;
	}
	return 0;
}

/* Bodies compressed on the fly so far (svd_http_gzips). */
static atomic_ulong gzips;

unsigned long svd_http_gzips(void)
{
	return atomic_load(&gzips);
}

/* The body gzip'd (RFC 1952 wrapper), or NULL; *out_len its length. */
static void *gzip_bytes(const void *in, size_t len, size_t *out_len)
{
	z_stream z;
	uLong bound;
	void *out = NULL;

	atomic_fetch_add(&gzips, 1);
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len);
	if ((out = malloc(bound))) {
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)bound;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
			free(out); /* no gain: send it as it is */
			out = NULL;
		} else {
			*out_len = z.total_out;
		}
	}
	deflateEnd(&z);
	return out;
}

/* A strong ETag of bytes in memory: the quoted hex of their BLAKE2b-128. */
static void etag_of(char *out, const void *data, size_t len)
{
	unsigned char hash[16];

	crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
	out[0] = '"';
	sodium_bin2hex(out + 1, 33, hash, sizeof(hash));
	out[33] = '"';
	out[34] = '\0';
}

/* How often the headers that must not be repeated came. */
typedef struct header_count {
	unsigned content_length, transfer_encoding, range;
	const char *cl; /* the first Content-Length */
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	header_count *n = cls;

	(void)kind;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (!n->content_length++)
			n->cl = value;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		n->transfer_encoding++;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_RANGE)) {
		n->range++;
	}
	return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * The validators of a file the reply sends when the site gives none: its
 * modification time, and a tag made of its inode, size and time (as web
 * servers tag files), so that a download can be resumed and revalidated.
 */
static void file_validators(char *etag, size_t size, int64_t *mtime, int fd, int has_etag)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return;
	if (!*mtime)
		*mtime = (int64_t)st.st_mtim.tv_sec;
	if (!has_etag)
		snprintf(etag, size, "\"%jx-%jx-%jx.%lx\"", (uintmax_t)st.st_ino,
		         (uintmax_t)st.st_size, (uintmax_t)st.st_mtim.tv_sec,
		         (unsigned long)st.st_mtim.tv_nsec);
}

/* The body of a response that must send none (a HEAD, a 304): never read. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* The client's copy is current: If-None-Match, else If-Modified-Since. */
static int not_modified(struct MHD_Connection *c, const char *etag, int64_t mtime)
{
	const char *v;
	int64_t t;

	if ((v = header(c, MHD_HTTP_HEADER_IF_NONE_MATCH)))
		return svd_http_etag_match(v, etag[0] ? etag : NULL);
	return mtime > 0 && (v = header(c, MHD_HTTP_HEADER_IF_MODIFIED_SINCE)) &&
	       svd_http_date_parse(&t, v) == 0 && mtime <= t;
}

/*
 * The site's reply as a response, after the request's conditions: a 304
 * when the client's copy is current (If-None-Match, else If-Modified-Since),
 * one byte range (206, or 416 past the end; If-Range may veto it), gzip for
 * a compressible body when the client takes it and asked for no range.
 * The conditions are weighed before a body is compressed on the fly (its
 * tag, "...-gz", is known without it): a 304 deflates nothing. A HEAD does
 * compress, as a GET would: its Content-Length is the gzip body's, and
 * a body that gains nothing is sent, and tagged, as it is.
 * A body in memory stays the reply's until the response is sent (then
 * reply_done releases it); a file goes to the response, which closes it,
 * and the reply is released here. A pending reply (a big raw file) is
 * read only when a body is due: a HEAD or a 304 gets its length and tag
 * without it, and a reply that cannot be read becomes the site's 503 or
 * 500. Takes the reply in every case.
 */
static enum MHD_Result respond(const svd_http *h, struct MHD_Connection *c, svd_site_reply *r,
                               int single_range, int head)
{
	char etag[ETAG_MAX], date[SVD_HTTP_DATE_LEN + 1], crange[96];
	const char *range = NULL, *v;
	const void *data = r->data;
	size_t len = r->len;
	void *made = NULL;
	held *keep = NULL;
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;
	unsigned status = r->status;
	uint64_t first = 0, last = 0;
	svd_http_range_kind rk = SVD_HTTP_RANGE_WHOLE;
	int64_t mtime = r->mtime > 0 ? r->mtime : 0;
	int gz = 0, fly = 0, failed = 0;

	etag[0] = '\0';
	if (status == 200) {
		if (r->etag && svd_http_etag_valid(r->etag, ETAG_MAX - 4))
			snprintf(etag, sizeof(etag), "%s", r->etag);
		else if (r->fd < 0)
			etag_of(etag, r->data, r->len);
		if (r->fd >= 0)
			file_validators(etag, sizeof(etag) - 4, &mtime, r->fd, etag[0] != '\0');
		if (single_range)
			range = header(c, MHD_HTTP_HEADER_RANGE);
		if (r->compress && !range && (v = header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING)) &&
		    svd_http_accepts_gzip(v)) {
			if (r->gz_data) {
				data = r->gz_data;
				len = r->gz_len;
				gz = 1;
			} else if (r->fd < 0 && r->len >= GZIP_MIN && r->len <= GZIP_MAX) {
				gz = fly = 1; /* made below, once a body is due */
			}
		}
		if (gz && etag[0]) /* the variant's own tag: "...-gz" */
			memcpy(etag + strlen(etag) - 1, "-gz\"", 5);
		if (not_modified(c, etag, mtime))
			status = MHD_HTTP_NOT_MODIFIED;
		if (status == 200 && fly) {
			if ((made = gzip_bytes(r->data, r->len, &len))) {
				data = made;
			} else {
				/* no gain: the body as it is, under its own tag */
				gz = 0;
				len = r->len;
				if (etag[0])
					memcpy(etag + strlen(etag) - 4, "\"", 2);
				if (not_modified(c, etag, mtime))
					status = MHD_HTTP_NOT_MODIFIED;
			}
		}
		if (status == 200 && range && !gz &&
		    (!(v = header(c, MHD_HTTP_HEADER_IF_RANGE)) ||
		     svd_http_if_range(v, etag[0] ? etag : NULL, mtime)))
			rk = svd_http_range_parse(&first, &last, range, len);
	}
	if (rk == SVD_HTTP_RANGE_UNSATISFIABLE) {
		snprintf(crange, sizeof(crange), "bytes */%zu", len);
		h->put(r);
		return plain(c, MHD_HTTP_RANGE_NOT_SATISFIABLE,
		             "416 range not satisfiable: the range asked for starts past the end\n",
		             MHD_HTTP_HEADER_CONTENT_RANGE, crange, 0);
	}
	if (r->pending && !head && status != MHD_HTTP_NOT_MODIFIED) {
		if (svd_site_reply_load(r) < 0) {
			h->put(r);
			return MHD_NO;
		}
		if (r->status != 200) /* it could not be read: the reply says why */
			return respond(h, c, r, 0, head);
		data = r->data;
	}
	if (rk == SVD_HTTP_RANGE_PART) {
		status = MHD_HTTP_PARTIAL_CONTENT;
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%zu", first, last,
		         len);
	} else {
		first = 0;
		last = len ? len - 1 : 0;
	}

	if (r->pending) {
		/* a HEAD or a 304 of a file not read: the length, never a byte */
		resp = MHD_create_response_from_callback(len ? last - first + 1 : 0, 4096, no_body,
		                                         NULL, NULL);
	} else if (r->fd >= 0 && !gz) {
		resp = MHD_create_response_from_fd_at_offset64(len ? last - first + 1 : 0, r->fd,
		                                               first);
		if (resp)
			r->fd = -1; /* the response closes it */
	} else if (made) {
		if ((resp = MHD_create_response_from_buffer(len, made, MHD_RESPMEM_MUST_FREE)))
			made = NULL;
	} else if ((keep = malloc(sizeof(*keep)))) {
		keep->h = h;
		keep->r = r;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    len ? (size_t)(last - first + 1) : 0, (void *)((uintptr_t)data + first),
		    reply_done, keep);
		if (!resp)
			free(keep);
	}
	if (!resp) {
		free(made);
		h->put(r);
		return MHD_NO;
	}
	if (extra_headers(resp, r, status) < 0)
		failed = 1;
	if (status == 200 || status == 206 || status == 304) {
		if (etag[0] && MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) != MHD_YES)
			failed = 1;
		if (mtime > 0) {
			svd_http_date_format(date, mtime);
			if (MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date) !=
			    MHD_YES)
				failed = 1;
		}
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes") !=
		    MHD_YES)
			failed = 1;
		if (r->compress && MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
		                                           "Accept-Encoding") != MHD_YES)
			failed = 1;
		if (gz && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") !=
		              MHD_YES)
			failed = 1;
		if (status == 206 &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange) != MHD_YES)
			failed = 1;
	}
	if (failed) {
		if (!keep)
			h->put(r);
		MHD_destroy_response(resp); /* releases a kept reply through reply_done */
		return MHD_NO;
	}
	/* MHD copies the type, which points into the reply: queue, then release */
	if (keep)
		return queue(c, status, resp, r->type, r->page);
	ret = queue(c, status, resp, r->type, r->page);
	h->put(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	static const char not_allowed[] =
	    "405 method not allowed: this mirror only reads: GET and HEAD\n";
	svd_http *h = cls;
	request *q = *con_cls;
	header_count n = {0};
	svd_site_reply *r = NULL;
	char who[INET6_ADDRSTRLEN], what[256];
	int body;

	(void)version;
	(void)upload_data;
	if (!q)
		return MHD_NO; /* no memory for the request: MHD closes the connection */
	if (q->answered) {
		*upload_data_size = 0; /* a body we never read */
		return MHD_YES;
	}
	if (q->calls++ == 0) {
		mark(h, c, 1);
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
		/*
		 * Two lengths for one body let a proxy in front and this server
		 * disagree where the next request starts (request smuggling):
		 * refused, and the connection ends.
		 */
		if ((n.content_length && n.transfer_encoding) || n.content_length > 1 ||
		    n.transfer_encoding > 1 ||
		    (n.cl && (!n.cl[0] || strspn(n.cl, "0123456789") != strlen(n.cl)))) {
			report(h, 7, "http: %s: %s: refused (400): %s", client(c, who, sizeof(who)),
			       shown(what, sizeof(what), url),
			       n.content_length > 1 || n.transfer_encoding > 1
			           ? "Content-Length or Transfer-Encoding given twice"
			       : n.transfer_encoding ? "both Content-Length and Transfer-Encoding"
			                             : "a Content-Length that is not plain digits");
			q->answered = 1;
			return plain(
			    c, MHD_HTTP_BAD_REQUEST,
			    "400 bad request: both Content-Length and Transfer-Encoding "
			    "(or either twice, or a Content-Length that is not plain digits)\n",
			    NULL, NULL, 1);
		}
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			q->answered = 1;
			return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
			             MHD_HTTP_HEADER_ALLOW, "GET, HEAD", 0);
		}
		body = n.transfer_encoding || (n.cl && strcmp(n.cl, "0") != 0);
		/*
		 * Answer on the second call, not the first: a response queued
		 * before MHD has read the whole request makes it close the
		 * connection, and every client would pay a new TCP handshake per
		 * request. A request that announces a body is answered now, and
		 * its connection closed: its body would be time outside the
		 * header deadline.
		 */
		if (!body)
			return MHD_YES;
	} else {
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
	}
	*upload_data_size = 0;
	q->answered = 1;
	if (q->query_long)
		return plain(c, MHD_HTTP_URI_TOO_LONG,
		             "414 URI too long: the query after '?' is longer than 2048 bytes\n",
		             NULL, NULL, 0);
	if (h->get(&r, h->get_cls, url, strlen(url), q->query) < 0)
		return MHD_NO; /* no memory: MHD closes the connection */
	return respond(h, c, r, n.range == 1, !strcmp(method, MHD_HTTP_METHOD_HEAD));
}

/*
 * Room for the connections in the open-file limit: the soft limit is
 * raised to fit (up to the hard one); when it cannot be, fewer
 * connections, said in the log. Returns how many may be served.
 */
static unsigned fit_files(const svd_http *h, unsigned want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return want;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return want;
	report(h, 4,
	       "http: the open-file limit (RLIMIT_NOFILE) is %llu and cannot be raised to %llu: "
	       "serving at most %llu connections instead of %u (raise LimitNOFILE= in the "
	       "systemd unit, or ulimit -n)",
	       (unsigned long long)rl.rlim_cur, (unsigned long long)need,
	       (unsigned long long)(rl.rlim_cur > FD_RESERVE + MIN_CONN ? rl.rlim_cur - FD_RESERVE
	                                                                : MIN_CONN),
	       want);
	return rl.rlim_cur > FD_RESERVE + MIN_CONN ? (unsigned)(rl.rlim_cur - FD_RESERVE)
	                                           : MIN_CONN;
}

int svd_http_start(svd_http **out, const char *archive_path, const svd_http_opts *opts)
{
	svd_http_opts o = opts ? *opts : (svd_http_opts){0};
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD;
	pthread_condattr_t ca;
	svd_http *h = NULL;
	uint16_t port;
	int error = SVD_ERROR, locks = 0;

	*out = NULL;
	if (!archive_path && !(o.get && o.put))
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
	if (!o.header_timeout_s)
		o.header_timeout_s = DEFAULT_HEADERS;
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
	h->log = o.log;
	h->log_cls = o.log_cls;
	h->header_ms = (int64_t)o.header_timeout_s * 1000;
	h->max_conn = fit_files(h, o.max_connections);
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		return svd_error_set(SVD_ERROR, "http: cannot make a lock");
	}
	locks = 1;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&h->wake, &ca) != 0) {
		svd_error_set(SVD_ERROR, "http: cannot make a condition variable");
		goto cleanup;
	}
	pthread_condattr_destroy(&ca);
	locks = 2;
	if (o.get && o.put) {
		h->get = o.get;
		h->put = o.put;
		h->get_cls = o.get_cls;
	} else {
		/* fail here, not on the first request, when there is no archive */
		if ((error = svd_site_new(&h->site, archive_path, o.outbox, o.site)) < 0)
			goto cleanup;
		error = SVD_ERROR;
		h->get = site_get;
		h->put = svd_site_reply_free;
		h->get_cls = h->site;
	}
	h->daemon = MHD_start_daemon(
	    flags, port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)h->max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o.per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o.memory_limit,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)BACKLOG, MHD_OPTION_NOTIFY_CONNECTION,
	    notify_connection, h, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logged, h, MHD_OPTION_UNESCAPE_CALLBACK, unescape,
	    NULL, MHD_OPTION_END);
	if (!h->daemon) {
		svd_error_set(SVD_ERROR,
		              "http: cannot listen on %s port %u: %s (is another server using "
		              "that port? choose another one)",
		              o.address, (unsigned)port, errno ? strerror(errno) : "unknown error");
		goto cleanup;
	}
	if (pthread_create(&h->sweeper, NULL, sweep, h) != 0) {
		svd_error_set(SVD_ERROR, "http: cannot start the thread that keeps the deadlines");
		goto cleanup;
	}
	h->sweeper_running = 1;
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info && info->port ? info->port : port;
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	if (h) {
		if (h->daemon)
			MHD_stop_daemon(h->daemon);
		svd_site_free(h->site);
		if (locks > 1)
			pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
	return error;
}

uint16_t svd_http_port(const svd_http *h)
{
	return h ? h->port : 0;
}

unsigned svd_http_max_connections(const svd_http *h)
{
	return h ? h->max_conn : 0;
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
	if (h->sweeper_running) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	MHD_stop_daemon(h->daemon); /* its threads end, releasing their handles */
	svd_site_free(h->site);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
