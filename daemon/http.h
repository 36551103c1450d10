/*
 * http.h: samvydavd's read-only HTTP service, for readers and couriers on
 * the local network: libmicrohttpd in front of the library's site
 * (<samvydav/site.h>), which decides every answer.
 *
 * GET and HEAD only; the paths are site.h's. Every request path is
 * untrusted: it is decoded once (svd_site_unescape) and judged by the site;
 * anything but its forms gets a 4xx and never a file outside the archive.
 * Connection limits, timeouts and memory caps are set explicitly, and a
 * connection must send its headers within a deadline (docs/operators.md,
 * "Serve readers", says what that costs and what libmicrohttpd cannot do).
 */
#ifndef SVDD_HTTP_H
#define SVDD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <samvydav/site.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_HTTP_URL_MAX SVD_SITE_URL_MAX /**< bytes of a request's URL */

#define SVD_HTTP_QUERY_MAX 2048 /**< bytes of a request's query (after '?') */

/**
 * Where the service reports what it did on its own (connections cut, limits
 * it had to lower): a level numbered as syslog's (3 error, 4 warning, 6
 * info, 7 debug) and one line, whose client text is already escaped. Called
 * from the service's threads, one at a time or several at once.
 */
typedef void (*svd_http_log_fn)(void *cls, int level, const char *msg);

/** Settings of the service. Zero fields take the defaults. */
typedef struct svd_http_opts {
	const char *address;       /**< listen address; default "127.0.0.1" */
	uint16_t port;             /**< default 8737; 0 with port_any for any free port */
	int port_any;              /**< let the system choose a free port (tests) */
	unsigned max_connections;  /**< default 4096 (the open-file limit is raised to fit) */
	unsigned per_ip;           /**< connections from one address; default 256 */
	unsigned timeout_s;        /**< idle connection timeout; default 30 */
	unsigned header_timeout_s; /**< a request's headers must be in within this; default 10 */
	size_t memory_limit;       /**< per connection; default 32 KiB */
	const char *outbox;        /**< folder of bundles for /bundle/latest, or NULL */
	svd_http_log_fn log;       /**< or NULL: nothing is reported */
	void *log_cls;
	/**
	 * Replies from here instead of the archive's site, or NULL (tests:
	 * replies with every field a site may set). With it, archive_path
	 * may be NULL; put releases what get made.
	 */
	int (*get)(svd_site_reply **out, void *cls, const char *path, size_t len,
	           const char *query);
	void (*put)(svd_site_reply *r);
	void *get_cls;
	const svd_site_opts *site; /**< the site's settings (builder, log), or NULL */
} svd_http_opts;

/** A running service; opaque. */
typedef struct svd_http svd_http;

/**
 * Start serving an archive (opened by path: the service opens its own
 * handles, so the caller's archive may be written meanwhile).
 *
 * @param[out] out the caller's, stopped and freed with svd_http_stop()
 * @return 0; SVD_EINVALID for a bad address; SVD_ERROR if it cannot listen.
 */
int svd_http_start(svd_http **out, const char *archive_path, const svd_http_opts *opts);

/** The port it listens on (useful with port_any). */
uint16_t svd_http_port(const svd_http *h);

/**
 * The most connections it serves at once: max_connections, or fewer when
 * the open-file limit could not be raised to fit them (reported through
 * the log function).
 */
unsigned svd_http_max_connections(const svd_http *h);

/**
 * How many bodies this process has compressed on the fly, every server
 * together: a test's evidence that a 304 deflated nothing.
 */
unsigned long svd_http_gzips(void);

/**
 * Main or the trust list may have changed (an import, a sync, an outbox
 * run): the site's builder looks now (svd_site_refresh). NULL is fine.
 */
void svd_http_refresh(svd_http *h);

/** Stop serving (finishing requests in progress) and free; NULL is fine. */
void svd_http_stop(svd_http *h);

#ifdef __cplusplus
}
#endif

#endif
