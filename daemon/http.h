/*
 * http.h: samvydavd's read-only HTTP service, for readers and couriers on
 * the local network: libmicrohttpd in front of the library's site
 * (<samvydav/site.h>), which decides every answer.
 *
 * GET and HEAD only; the paths are site.h's. Every request path is
 * untrusted: it is decoded once (svd_site_unescape) and judged by the site;
 * anything but its forms gets a 4xx and never a file outside the archive.
 * Connection limits, timeouts and memory caps are set explicitly.
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

/** Settings of the service. Zero fields take the defaults. */
typedef struct svd_http_opts {
	const char *address;       /**< listen address; default "127.0.0.1" */
	uint16_t port;             /**< default 8737; 0 with port_any for any free port */
	int port_any;              /**< let the system choose a free port (tests) */
	unsigned max_connections;  /**< default 64 */
	unsigned per_ip;           /**< connections from one address; default 16 */
	unsigned timeout_s;        /**< idle connection timeout; default 30 */
	size_t memory_limit;       /**< per connection; default 64 KiB */
	const char *outbox;        /**< folder of bundles for /bundle/latest, or NULL */
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
