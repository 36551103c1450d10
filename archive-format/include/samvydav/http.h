/*
 * http.h: the read-only HTTP service of a mirror, for readers and couriers
 * on the local network (libmicrohttpd).
 *
 * GET and HEAD only. The reader library of render.h, the same files that
 * `samvydav unpack` writes: / and /index.html, /reader.css, /reader.js,
 * /search/fold.js, /search/sNN.js, /pages/<id>.html (one item with its
 * verdict), /items/<id[0:2]>/<id>/<file> (the raw file; /items/<id>/<file>
 * too). Besides: /items/<id> (moved: a redirect to its page),
 * /bundle/latest (the newest full bundle in the outbox), /api/status and
 * /api/items (JSON). The pages are made once per main commit and trust
 * list, every item through the gate.
 * Every request path is untrusted: anything but these forms (traversal,
 * encoded dots, NUL, overlong URLs) gets a 4xx and never a file outside the
 * archive. Connection limits, timeouts and memory caps are set explicitly.
 */
#ifndef SAMVYDAV_HTTP_H
#define SAMVYDAV_HTTP_H

#include "common.h"
#include "archive.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_HTTP_URL_MAX 1024 /**< bytes of a request's URL */

/** Settings of the service. Zero fields take the defaults. */
typedef struct svd_http_opts {
	const char *address;      /**< listen address; default "127.0.0.1" */
	uint16_t port;            /**< default 8737; 0 with port_any for any free port */
	int port_any;             /**< let the system choose a free port (tests) */
	unsigned max_connections; /**< default 64 */
	unsigned per_ip;          /**< connections from one address; default 16 */
	unsigned timeout_s;       /**< idle connection timeout; default 30 */
	size_t memory_limit;      /**< per connection; default 64 KiB */
	const char *outbox;       /**< folder of bundles for /bundle/latest, or NULL */
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

/** Stop serving (finishing requests in progress) and free; NULL is fine. */
void svd_http_stop(svd_http *h);

#ifdef __cplusplus
}
#endif

#endif
