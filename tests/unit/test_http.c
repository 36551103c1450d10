/*
 * test_http.c: the read-only HTTP service — the path gate on its own
 * (must-fail and must-pass paths), then a real server on a real archive in
 * a temporary folder, asked with stock curl: pages, raw files, JSON, HEAD,
 * refused methods, traversal attempts, overlong URLs and the outbox bundle.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <zlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "helpers.h"
#include "site_internal.h"
#include "samvydav/archive.h"
#include "http.h"
#include "http_parse.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "samvydav/store.h"

#define CREATED "2024-05-01T10:00:00Z"
#define EVIL    "<script>alert(1)</script>"
#define NO_ID   "0000000000000000000000000000000000000000000000000000000000000000"
#define CSP                                                                                        \
	"default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "                 \
	"script-src 'self'; base-uri 'none'"
#define ID_A "3f9a0c1b2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdde"
#define BODY "# Title\n\nA <b>bold</b> & \"quoted\" line.\n"

static char tmpdir[64];
static char archive_path[PATH_MAX], outbox[PATH_MAX], body_path[PATH_MAX], head_path[PATH_MAX];
static svd_seckey *sk;
static svd_pubkey *pk;
static svd_archive *arch;
static svd_http *server;
static uint16_t port; /* of the server asked by ask() */

static void fake_stop(void);
static char id_evil[SVD_ID_HEX_LEN + 1], id_uk[SVD_ID_HEX_LEN + 1];
static char commit[SVD_COMMIT_HEX_LEN + 1];
static uint8_t photo[3000];

/* A manifest being built, with everything but its files. */
static svd_manifest *meta(const char *title, const char *published)
{
	svd_manifest *m = NULL;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", CREATED), 0);
	if (published)
		assert_int_equal(svd_manifest_set(m, "published", published), 0);
	return m;
}

/* One operation adding one item with a body (and the photo when asked); its id. */
static void add_item(const char *title, const char *published, const char *body, int with_photo,
                     char *id)
{
	char bpath[PATH_MAX], ppath[PATH_MAX];
	svd_source_file f[2] = {{"body.md", bpath}, {"photo.jpg", ppath}};
	svd_manifest *m = meta(title, published);
	svd_txn *t = NULL;

	th_path(bpath, sizeof(bpath), "%s/src-body.md", tmpdir);
	th_path(ppath, sizeof(ppath), "%s/src-photo.jpg", tmpdir);
	th_write_text(bpath, body);
	th_write_file(ppath, photo, sizeof(photo));
	assert_int_equal(svd_txn_begin(&t, arch), 0);
	if (svd_txn_add_new(t, m, f, with_photo ? 2 : 1, sk, NULL) != 0)
		fail_msg("add %s: %s", title, svd_error_last());
	snprintf(id, SVD_ID_HEX_LEN + 1, "%s", svd_manifest_id(m));
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	svd_manifest_free(m);
}

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	if (th_init(tmpdir, sizeof(tmpdir), "http") < 0)
		return -1;
	if (svd_key_generate(&sk, &pk) != 0)
		return -1;
	th_join(archive_path, sizeof(archive_path), tmpdir, "arch");
	th_join(outbox, sizeof(outbox), tmpdir, "outbox");
	th_join(body_path, sizeof(body_path), tmpdir, "response.body");
	th_join(head_path, sizeof(head_path), tmpdir, "response.head");
	if (svd_archive_init(&arch, archive_path) != 0 || svd_archive_trust_add(arch, pk) != 0)
		return -1;
	for (i = 0; i < sizeof(photo); i++)
		photo[i] = (uint8_t)(i * 7 + 3); /* every byte value, NULs included */
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	svd_http_stop(server);
	fake_stop();
	svd_archive_free(arch);
	svd_seckey_free(sk);
	svd_pubkey_free(pk);
	th_shutdown(tmpdir);
	return 0;
}

/* The gate alone. */

static void expect_refused(const char *path, size_t len)
{
	if (svd_site_check_path(path, len) != SVD_EINVALID)
		fail_msg("the gate takes '%.*s' (%zu bytes)", (int)(len > 200 ? 200 : len), path,
		         len);
	assert_true(svd_error_last()[0] != '\0');
}

static void refused(const char *path)
{
	expect_refused(path, strlen(path));
}

static void accepted(const char *path)
{
	if (svd_site_check_path(path, strlen(path)) != 0)
		fail_msg("the gate refuses '%s': %s", path, svd_error_last());
}

static void test_check_path_refused(void **state)
{
	char long_path[SVD_HTTP_URL_MAX + 2];

	(void)state;
	/* traversal, decoded or still encoded */
	refused("/..");
	refused("/../../etc/passwd");
	refused("/items/..");
	refused("/items/" ID_A "/../../../etc/passwd");
	refused("/items/" ID_A "/..");
	refused("/items/%2e%2e/x");
	refused("/%2e%2e/%2e%2e/etc/passwd");
	refused("/items/" ID_A "/..%2fmanifest.json");
	refused("/items/" ID_A "%2fmanifest.json");
	refused("/items/" ID_A "/body%2emd");
	refused("/%00");
	refused("/api/status%00");
	/* empty segments and backslashes */
	refused("//");
	refused("//etc/passwd");
	refused("/items//" ID_A);
	refused("/items/" ID_A "//body.md");
	refused("/items/" ID_A "/\\..\\body.md");
	refused("/items\\" ID_A);
	/* NUL inside: the length says more than strlen */
	expect_refused("/\0/etc/passwd", 13);
	expect_refused("/api/status\0x", 13);
	expect_refused("/items/" ID_A "/body.md\0.jpg", 7 + 64 + 8 + 5);
	/* overlong */
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	expect_refused(long_path, SVD_HTTP_URL_MAX + 1);
	/* control characters, non-ASCII */
	refused("/items/" ID_A "/body\n.md");
	refused("/items/" ID_A "/body\r.md");
	refused("/items/" ID_A "/body\t.md");
	refused("/api/status\x7f");
	refused("/items/" ID_A "/\xd1\x84\xd0\xbe\xd1\x82\xd0.jpg"); /* cut short */
	refused("/items/" ID_A "/\xed\xa0\x80.jpg");                 /* a surrogate */
	refused("/items/" ID_A "/\xc0\xae\xc0\xae");
	refused("/\xff");
	/* not a form the service answers */
	refused("");
	refused("api/status");
	refused("/index.htm");
	refused("/etc/passwd");
	refused("/reader.css/x");
	refused("/reader.map");
	refused("/search/s00.js"); /* the one-page index's shards: no more */
	refused("/search/s64.js");
	refused("/search/sa1.js");
	refused("/list/0002.html"); /* the paged library's numbers: 5 to 9 digits */
	refused("/list/0000000002.html");
	refused("/list/00002.htm");
	refused("/list/0000a.html");
	refused("/list/");
	refused("/list/00002.html/x");
	refused("/rows/00000.html");
	refused("/rows/-0000.js");
	refused("/rows/+0000.js");
	refused("/search/d0000.js");
	refused("/search/dict.json");
	refused("/search/p 0000.js");
	refused("/search/facets");
	refused("/search/x00000.js");
	refused("/search/fold.json");
	refused("/pages/" ID_A);
	refused("/pages/" ID_A ".htm");
	refused("/pages/" ID_A ".html/x");
	refused("/pages/../index.html");
	refused("/items/3f/" ID_A);            /* a fan with no file is not a page */
	refused("/items/00/" ID_A "/body.md"); /* the wrong fan */
	refused("/items/3f/" ID_A "/../" ID_A "/body.md");
	refused("/api");
	refused("/api/");
	refused("/api/status/");
	refused("/api/items/x");
	refused("/bundle");
	refused("/bundle/");
	refused("/bundle/latest/x");
	refused("/bundle/old.tar.zst");
	refused("/items");
	refused("/items/");
	refused("/ITEMS/" ID_A);
	refused("http://example.org/");
	/* bad ids */
	refused("/items/3f9a");
	refused("/items/" ID_A "0");
	refused("/items/" ID_A "/");
	refused("/items/3F9A0C1B2D3E4F5061728394A5B6C7D8E9F00112233445566778899AABBCCDDE");
	refused("/items/3f9a0c1b2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddg");
	refused("/items/3f9a0c1b2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdd");
	/* bad file names and signature names */
	refused("/items/" ID_A "/.hidden");
	refused("/items/" ID_A "/.");
	refused("/items/" ID_A "/sig");
	refused("/items/" ID_A "/sig/");
	refused("/items/" ID_A "/sig/abcdef0123456789.minisig");
	refused("/items/" ID_A "/sig/ABCDEF012345678.minisig");
	refused("/items/" ID_A "/sig/ABCDEF0123456789.sig");
	refused("/items/" ID_A "/sig/ABCDEF0123456789.minisig/x");
	refused("/items/" ID_A "/sig/ABCDEF0123456789.pubx");
	refused("/items/" ID_A "/sig/abcdef0123456789.pub");
	refused("/items/" ID_A "/sig/ABCDEF01.pub");
	refused("/items/" ID_A "/sig/.pub");
	refused("/items/" ID_A "/body.md/x");
	refused("/items/" ID_A "/a:b");
	refused("/items/" ID_A "/a*b");
	refused("/items/" ID_A "/a?b");
	refused("/items/" ID_A "/a|b");
	refused("/items/" ID_A "/a\"b");
	refused("/items/" ID_A "/a<b>");
	refused("/items/" ID_A "/trailing.");
	refused("/items/" ID_A "/trailing ");
	expect_refused(NULL, 0);
}

static void test_check_path_accepted(void **state)
{
	char path[SVD_HTTP_URL_MAX + 1];

	(void)state;
	accepted("/");
	accepted("/index.html");
	accepted("/reader.css");
	accepted("/reader.js");
	accepted("/search/fold.js");
	accepted("/list/00002.html");
	accepted("/list/123456789.html");
	accepted("/rows/00000.js");
	accepted("/search/dict.js");
	accepted("/search/d00000.js");
	accepted("/search/p00012.js");
	accepted("/search/facets.js");
	accepted("/pages/" ID_A ".html");
	accepted("/items/3f/" ID_A "/body.md");
	accepted("/items/3f/" ID_A "/sig/ABCDEF0123456789.minisig");
	accepted("/api/status");
	accepted("/api/items");
	accepted("/bundle/latest");
	accepted("/items/" ID_A);
	accepted("/items/" ID_A "/manifest.json");
	accepted("/items/" ID_A "/body.md");
	accepted("/items/" ID_A "/photo 1.jpg");
	accepted("/items/" ID_A "/report.v2.pdf");
	accepted("/items/" ID_A "/\xd1\x84\xd0\xbe\xd1\x82\xd0\xbe.jpg"); /* фото.jpg */
	accepted("/items/" ID_A "/sig/ABCDEF0123456789.minisig");
	accepted("/items/" ID_A "/sig/ABCDEF0123456789.pub"); /* the key beside it */
	/* the length is what counts, not a NUL after it */
	assert_int_equal(svd_site_check_path("/api/items-and-more", 10), 0);
	/* exactly at the limit */
	memset(path, 0, sizeof(path));
	snprintf(path, sizeof(path), "/items/" ID_A "/");
	memset(path + strlen(path), 'a', 255);
	assert_true(strlen(path) <= SVD_HTTP_URL_MAX);
	accepted(path);
}

/* A server on a real archive, asked with curl. */

typedef struct reply {
	int status;
	char type[128];
	char *body; /* NUL-terminated */
	size_t len;
	char *head; /* the response's headers */
} reply;

static void reply_free(reply *r)
{
	free(r->body);
	free(r->head);
	memset(r, 0, sizeof(*r));
}

/*
 * One request: curl with extra arguments (trusted, from this file) to a path
 * sent exactly as given (--path-as-is). The path must hold no single quote.
 */
static void ask(reply *r, const char *args, const char *path)
{
	size_t size = strlen(path) + 1024;
	char *cmd = malloc(size), line[256] = "";
	FILE *p;

	assert_non_null(cmd);
	assert_null(strchr(path, '\''));
	memset(r, 0, sizeof(*r));
	unlink(body_path);
	unlink(head_path);
	snprintf(cmd, size,
	         "curl -s --path-as-is --max-time 20 -o '%s' -D '%s' -w '%%{http_code} "
	         "%%{content_type}' %s 'http://127.0.0.1:%u%s'",
	         body_path, head_path, args, (unsigned)port, path);
	assert_non_null(p = popen(cmd, "r"));
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	free(cmd);
	if (sscanf(line, "%d %127[^\n]", &r->status, r->type) < 1)
		fail_msg("curl gave no status for %.200s", path);
	r->body = access(body_path, F_OK) == 0 ? th_read_file(body_path, &r->len) : strdup("");
	r->head = th_read_file(head_path, NULL);
	assert_non_null(r->body);
	assert_non_null(r->head);
}

static void get(reply *r, const char *path)
{
	ask(r, "", path);
}

/* The response carries this header line (case-insensitive name, exact value). */
static void expect_header(const reply *r, const char *name, const char *value)
{
	char want[512];
	const char *line = r->head;

	snprintf(want, sizeof(want), "%s: %s\r\n", name, value);
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncasecmp(line, want, strlen(name)) &&
		    !strncmp(line + strlen(name), want + strlen(name), strlen(want) - strlen(name)))
			return;
	}
	fail_msg("no header '%s: %s' in:\n%s", name, value, r->head);
}

static void expect_status(const reply *r, int status, const char *what)
{
	if (r->status != status)
		fail_msg("%s: status %d, not %d; body: %.300s", what, r->status, status, r->body);
}

/* Refused with a 4xx, and nothing that looks like a file from outside came back. */
static void expect_refused_request(const char *path)
{
	reply r;

	get(&r, path);
	if (r.status < 400 || r.status > 499)
		fail_msg("%.200s: status %d; body: %.300s", path, r.status, r.body);
	assert_null(strstr(r.body, "root:"));
	assert_null(strstr(r.body, "\"files\""));
	reply_free(&r);
}

static void start(void)
{
	static const svd_site_opts site = {.no_builder = 1}; /* the index follows main at once */
	svd_http_opts o = {0};

	o.port_any = 1;
	o.outbox = outbox;
	o.site = &site;
	if (svd_http_start(&server, archive_path, &o) != 0)
		fail_msg("cannot start: %s", svd_error_last());
	assert_true((port = svd_http_port(server)) != 0);
}

static void test_start_refused(void **state)
{
	svd_http_opts o = {0};
	svd_http *h = (svd_http *)1;
	char missing[PATH_MAX];

	(void)state;
	o.port_any = 1;
	o.address = "localhost:80";
	assert_int_equal(svd_http_start(&h, archive_path, &o), SVD_EINVALID);
	assert_null(h);
	th_expect_msg("localhost:80");
	o.address = NULL;
	th_join(missing, sizeof(missing), tmpdir, "no-such-archive");
	assert_int_equal(svd_http_start(&h, missing, &o), SVD_ENOTFOUND);
	assert_null(h);
	svd_http_stop(NULL);
	assert_int_equal(svd_http_port(NULL), 0);
}

/* Pages over an empty archive, then items added: the index follows main. */
static void test_serve(void **state)
{
	char path[512];
	uint8_t want[32], got[32];
	json_t *j, *v;
	json_error_t je;
	size_t i, evil = 0;
	reply r;

	(void)state;
	start();

	/* nothing in it yet */
	get(&r, "/api/items");
	expect_status(&r, 200, "/api/items (empty)");
	assert_string_equal(r.body, "{\"items\":[],\"next\":null}");
	reply_free(&r);
	get(&r, "/");
	expect_status(&r, 200, "/ (empty)");
	reply_free(&r);

	add_item(EVIL, "2024-04-01", BODY, 1, id_evil);
	add_item("\xd0\x94\xd1\x80\xd1\x83\xd0\xb3\xd0\xb0 \xd1\x81\xd1\x82\xd0\xb0\xd1\x82\xd1\x82"
	         "\xd1\x8f",
	         "2024-06-01", "# Uk\n", 0, id_uk);

	/* the index: escaped, newest first, with the security headers */
	get(&r, "/");
	expect_status(&r, 200, "/");
	assert_string_equal(r.type, "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(r.body, "<script>"));
	assert_non_null(strstr(r.body, "<script src=\"reader.js\""));
	assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
	assert_non_null(strstr(r.body, "data-pages=\"1\""));
	assert_non_null(strstr(r.body, id_evil));
	assert_non_null(strstr(r.body, id_uk));
	assert_true(strstr(r.body, id_uk) < strstr(r.body, id_evil));
	expect_header(&r, "X-Content-Type-Options", "nosniff");
	expect_header(&r, "Content-Security-Policy", CSP);
	reply_free(&r);
	get(&r, "/index.html");
	expect_status(&r, 200, "/index.html");
	assert_non_null(strstr(r.body, id_evil));
	reply_free(&r);

	/* the reader library's assets and search data, as unpack writes them */
	get(&r, "/reader.js");
	expect_status(&r, 200, "/reader.js");
	assert_string_equal(r.type, "text/javascript; charset=utf-8");
	assert_true(r.len > 100);
	reply_free(&r);
	get(&r, "/reader.css");
	expect_status(&r, 200, "/reader.css");
	assert_string_equal(r.type, "text/css; charset=utf-8");
	reply_free(&r);
	get(&r, "/search/fold.js");
	expect_status(&r, 200, "/search/fold.js");
	assert_non_null(strstr(r.body, "svdFold("));
	reply_free(&r);
	/* the paged library's (SPEC.md, 11.1): written once per index, read for each request */
	get(&r, "/search/dict.js");
	expect_status(&r, 200, "/search/dict.js");
	assert_non_null(strstr(r.body, "svdDictRoot("));
	reply_free(&r);
	get(&r, "/search/d00000.js");
	expect_status(&r, 200, "/search/d00000.js");
	assert_non_null(strstr(r.body, "svdDict(0,"));
	assert_non_null(strstr(r.body, "\"bold\"")); /* a word of the body */
	reply_free(&r);
	get(&r, "/search/facets.js");
	expect_status(&r, 200, "/search/facets.js");
	assert_non_null(strstr(r.body, "svdFacets("));
	reply_free(&r);
	get(&r, "/rows/00000.js");
	expect_status(&r, 200, "/rows/00000.js");
	assert_non_null(strstr(r.body, "svdRows(0,"));
	assert_non_null(strstr(r.body, id_evil));
	reply_free(&r);
	get(&r, "/rows/00001.js"); /* past the last row */
	expect_status(&r, 404, "/rows/00001.js");
	reply_free(&r);
	get(&r, "/list/00002.html"); /* one page holds them all */
	expect_status(&r, 404, "/list/00002.html");
	reply_free(&r);
	get(&r, "/search/s00.js"); /* the one-page index's shards are gone */
	expect_status(&r, 404, "/search/s00.js");
	reply_free(&r);

	/* an item page with its verdict, signatures and body as text */
	snprintf(path, sizeof(path), "/pages/%s.html", id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "id=\"verdict\""));
	assert_non_null(strstr(r.body, "Accepted"));
	assert_non_null(strstr(r.body, svd_seckey_id(sk)));
	assert_non_null(strstr(r.body, "valid, by a trusted key"));
	snprintf(path, sizeof(path), "href=\"../items/%.2s/%s/sig/%s.minisig\"", id_evil, id_evil,
	         svd_seckey_id(sk));
	assert_non_null(strstr(r.body, path));
	/* Markdown's raw HTML is dropped, its text kept */
	assert_non_null(strstr(r.body, "bold"));
	assert_non_null(strstr(r.body, "photo.jpg"));
	assert_null(strstr(r.body, "<script"));
	assert_null(strstr(r.body, "<b>"));
	expect_header(&r, "Content-Security-Policy", CSP);
	reply_free(&r);

	/* the address of an item page before the library moved it */
	snprintf(path, sizeof(path), "/items/%s", id_evil);
	get(&r, path);
	expect_status(&r, 301, path);
	snprintf(path, sizeof(path), "Location: /pages/%s.html", id_evil);
	assert_non_null(strcasestr(r.head, path));
	reply_free(&r);

	/* a file as the library links it: items/<id[0:2]>/<id>/<file> */
	snprintf(path, sizeof(path), "/items/%.2s/%s/photo.jpg", id_evil, id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "image/jpeg");
	assert_int_equal(r.len, sizeof(photo));
	reply_free(&r);

	/* raw files: the stored bytes, typed by name */
	snprintf(path, sizeof(path), "/items/%s/photo.jpg", id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "image/jpeg");
	assert_int_equal(r.len, sizeof(photo));
	crypto_hash_sha256(want, photo, sizeof(photo));
	crypto_hash_sha256(got, (const uint8_t *)r.body, r.len);
	assert_memory_equal(want, got, 32);
	expect_header(&r, "X-Content-Type-Options", "nosniff");
	reply_free(&r);

	snprintf(path, sizeof(path), "/items/%s/body.md", id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "text/markdown; charset=utf-8");
	assert_string_equal(r.body, BODY);
	reply_free(&r);

	snprintf(path, sizeof(path), "/items/%s/manifest.json", id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "application/json");
	crypto_hash_sha256(got, (const uint8_t *)r.body, r.len);
	sodium_bin2hex(path, sizeof(path), got, 32);
	assert_string_equal(path, id_evil); /* the id is the manifest's SHA-256 */
	reply_free(&r);

	snprintf(path, sizeof(path), "/items/%s/sig/%s.minisig", id_evil, svd_seckey_id(sk));
	get(&r, path);
	expect_status(&r, 200, path);
	assert_non_null(strstr(r.body, "trusted comment:"));
	reply_free(&r);

	/* and the key beside it, so that a reader can check it with stock minisign */
	snprintf(path, sizeof(path), "/items/%s/sig/%s.pub", id_evil, svd_seckey_id(sk));
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.type, "text/plain; charset=utf-8");
	assert_non_null(strstr(r.body, "untrusted comment: minisign public key"));
	reply_free(&r);

	/* HEAD: the headers, no body */
	ask(&r, "-I", "/");
	expect_status(&r, 200, "HEAD /");
	assert_string_equal(r.type, "text/html; charset=utf-8");
	assert_null(strstr(r.body, "<!DOCTYPE")); /* with -I, curl saves only the headers */
	reply_free(&r);

	/* JSON */
	get(&r, "/api/status");
	expect_status(&r, 200, "/api/status");
	assert_string_equal(r.type, "application/json");
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_int_equal(json_integer_value(json_object_get(j, "items")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "trusted_keys")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "head")), commit);
	assert_string_equal(json_string_value(json_object_get(j, "mirror")),
	                    svd_archive_mirror_id(arch));
	assert_string_equal(json_string_value(json_object_get(j, "version")), SVD_VERSION);
	json_decref(j);
	reply_free(&r);

	get(&r, "/api/items");
	expect_status(&r, 200, "/api/items");
	assert_string_equal(r.type, "application/json");
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_true(json_is_null(json_object_get(j, "next")));
	assert_true(json_is_array(json_object_get(j, "items")));
	assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
	json_array_foreach(json_object_get(j, "items"), i, v)
	{
		assert_int_equal(strlen(json_string_value(json_object_get(v, "id"))), 64);
		assert_string_equal(json_string_value(json_object_get(v, "lang")), "uk");
		assert_string_equal(json_string_value(json_object_get(v, "kind")), "article");
		if (!strcmp(json_string_value(json_object_get(v, "title")), EVIL)) {
			evil++;
			assert_string_equal(json_string_value(json_object_get(v, "id")), id_evil);
			assert_string_equal(json_string_value(json_object_get(v, "date")),
			                    "2024-04-01");
		}
	}
	assert_int_equal(evil, 1);
	json_decref(j);
	reply_free(&r);

	/* the query reaches the site as it came: a page, a filter, a refusal */
	get(&r, "/api/items?limit=1");
	expect_status(&r, 200, "/api/items?limit=1");
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "next")) ? "cursor" : "null",
	                    "cursor");
	snprintf(path, sizeof(path), "/api/items?limit=1&after=%s",
	         json_string_value(json_object_get(j, "next")));
	json_decref(j);
	reply_free(&r);
	get(&r, path);
	expect_status(&r, 200, "the second page");
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "items"), 0), "id")),
	                    id_evil);
	assert_true(json_is_null(json_object_get(j, "next")));
	json_decref(j);
	reply_free(&r);
	/* "%D0%B4%D1%80%D1%83%D0%B3" is "друг": a prefix of the title's first word */
	get(&r, "/api/items?q=%D0%B4%D1%80%D1%83%D0%B3&since=2024-01-01");
	expect_status(&r, 200, "/api/items?q=...");
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	reply_free(&r);
	get(&r, "/api/items?offset=10");
	expect_status(&r, 400, "/api/items?offset=10");
	assert_string_equal(r.type, "text/plain; charset=utf-8");
	assert_non_null(strstr(r.body, "unknown parameter 'offset'"));
	reply_free(&r);
	get(&r, "/api/items?limit=5&limit=6");
	expect_status(&r, 400, "a key twice");
	assert_non_null(strstr(r.body, "limit: given twice"));
	reply_free(&r);
	get(&r, "/api/items?q=100%25+%zz");
	expect_status(&r, 400, "a bad escape in a value");
	assert_non_null(strstr(r.body, "q: a '%' that is not followed by two hex digits"));
	reply_free(&r);
}

static void test_refusals(void **state)
{
	char path[512], *huge;
	reply r;

	(void)state;
	/* only GET and HEAD */
	ask(&r, "-X POST -d x=1", "/");
	expect_status(&r, 405, "POST /");
	expect_header(&r, "Allow", "GET, HEAD");
	reply_free(&r);
	ask(&r, "-X DELETE", "/api/items");
	expect_status(&r, 405, "DELETE /api/items");
	reply_free(&r);
	ask(&r, "-X PUT -d x", "/items/" NO_ID);
	expect_status(&r, 405, "PUT");
	reply_free(&r);

	/* unknown ids and files */
	get(&r, "/pages/" NO_ID ".html");
	expect_status(&r, 404, "unknown id");
	reply_free(&r);
	get(&r, "/items/" NO_ID "/body.md");
	expect_status(&r, 404, "unknown id's file");
	reply_free(&r);
	snprintf(path, sizeof(path), "/items/%s/nothing.pdf", id_evil);
	get(&r, path);
	expect_status(&r, 404, path);
	reply_free(&r);
	get(&r, "/favicon.ico");
	expect_status(&r, 404, "/favicon.ico");
	reply_free(&r);

	/* traversal and encodings: 4xx, never a file */
	expect_refused_request("/../../etc/passwd");
	expect_refused_request("/items/../../../../etc/passwd");
	expect_refused_request("/items/%2e%2e/x");
	expect_refused_request("/items/%2E%2E/%2E%2E/etc/passwd");
	expect_refused_request("/%00");
	expect_refused_request("/api/status%00");
	expect_refused_request("/%2fetc%2fpasswd");
	expect_refused_request("//etc/passwd");
	expect_refused_request("/items/%252e%252e/x");
	expect_refused_request("/%5c..%5c..%5cetc%5cpasswd");
	expect_refused_request("/items/%zz");
	snprintf(path, sizeof(path), "/items/%s/..%%2f..%%2f..%%2fstore.git%%2fconfig", id_evil);
	expect_refused_request(path);
	snprintf(path, sizeof(path), "/items/%s/%%2e%%2e/%%2e%%2e/mirror-id", id_evil);
	expect_refused_request(path);
	snprintf(path, sizeof(path), "/items/%s/sig/..", id_evil);
	expect_refused_request(path);

	/* an encoded but harmless name decodes to the file */
	snprintf(path, sizeof(path), "/items/%s/body%%2Emd", id_evil);
	get(&r, path);
	expect_status(&r, 200, path);
	assert_string_equal(r.body, BODY);
	reply_free(&r);

	/* overlong: our limit, and far past the connection's memory */
	assert_non_null(huge = malloc(100 * 1024 + 1));
	memset(huge, 'a', 100 * 1024);
	huge[0] = '/';
	huge[SVD_HTTP_URL_MAX + 200] = '\0';
	get(&r, huge);
	expect_status(&r, 414, "overlong URL");
	reply_free(&r);
	huge[SVD_HTTP_URL_MAX + 200] = 'a';
	huge[100 * 1024] = '\0';
	get(&r, huge);
	if (r.status != 414 && r.status != 400 && r.status != 431)
		fail_msg("a URL of 100 KiB: status %d", r.status);
	reply_free(&r);
	free(huge);

	/* the server still answers */
	get(&r, "/api/status");
	expect_status(&r, 200, "/api/status after refusals");
	reply_free(&r);
}

/* The index is rebuilt when main moves. */
/*
 * One response on an open connection: its status line, and its body read
 * to the end by Content-Length. Returns 0 when the server closed instead.
 */
static int read_response(int fd, char *head, size_t cap)
{
	size_t len = 0, body = 0, want;
	const char *end, *cl;
	ssize_t n;
	char c;

	head[0] = '\0';
	while (len + 1 < cap && !strstr(head, "\r\n\r\n")) {
		if ((n = read(fd, head + len, 1)) <= 0)
			return 0;
		len++;
		head[len] = '\0';
	}
	end = strstr(head, "\r\n\r\n");
	assert_non_null(end);
	assert_non_null(cl = strcasestr(head, "\r\nContent-Length: "));
	want = strtoul(cl + 18, NULL, 10);
	for (; body < want; body++)
		assert_int_equal(read(fd, &c, 1), 1);
	return 1;
}

/*
 * Keep-alive: a reader's browser (and wrk) sends many requests over one
 * connection; the server must answer each of them and not close after the
 * first, or every page costs a new TCP handshake.
 */
static void test_keep_alive(void **state)
{
	static const char req[] = "GET /api/status HTTP/1.1\r\nHost: mirror\r\n\r\n";
	struct sockaddr_in sin = {0};
	struct timeval tv = {10, 0};
	char head[4096];
	int fd, i;

	(void)state;
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
		if (!read_response(fd, head, sizeof(head)))
			fail_msg("request %d on one connection: the server closed it", i + 1);
		assert_true(!strncmp(head, "HTTP/1.1 200", 12));
		assert_null(strcasestr(head, "Connection: close"));
	}
	close(fd);
}

static void test_index_follows_main(void **state)
{
	char id[SVD_ID_HEX_LEN + 1];
	json_t *j;
	reply r;

	(void)state;
	add_item("Third", "2024-07-01", "# Third\n", 0, id);
	get(&r, "/api/items");
	expect_status(&r, 200, "/api/items");
	assert_non_null(j = json_loads(r.body, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(j, "items")), 3);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "items"), 0), "id")),
	                    id);
	json_decref(j);
	reply_free(&r);
	get(&r, "/");
	assert_non_null(strstr(r.body, id));
	reply_free(&r);
}

static void test_bundle_latest(void **state)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
	const char *old_bytes = "an older bundle", *new_bytes = "the newest bundle\n\x01\x02";
	reply r;

	(void)state;
	get(&r, "/bundle/latest");
	expect_status(&r, 404, "/bundle/latest without an outbox");
	reply_free(&r);

	th_mkdir(outbox);
	get(&r, "/bundle/latest");
	expect_status(&r, 404, "/bundle/latest with an empty outbox");
	reply_free(&r);

	th_join(path, sizeof(path), outbox, "old.tar.zst");
	th_write_text(path, old_bytes);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	th_join(path, sizeof(path), outbox, "new.tar.zst");
	th_write_text(path, new_bytes);
	th_join(path, sizeof(path), outbox, "notes.txt"); /* not a bundle */
	th_write_text(path, "newest of all, but no bundle");
	th_join(link, sizeof(link), outbox, "passwd.tar.zst"); /* a link: never followed */
	assert_int_equal(symlink("/etc/passwd", link), 0);

	get(&r, "/bundle/latest");
	expect_status(&r, 200, "/bundle/latest");
	assert_string_equal(r.type, "application/zstd");
	assert_int_equal(r.len, strlen(new_bytes));
	assert_memory_equal(r.body, new_bytes, r.len);
	expect_header(&r, "Content-Disposition", "attachment; filename=\"new.tar.zst\"");
	reply_free(&r);

	ask(&r, "-I", "/bundle/latest");
	expect_status(&r, 200, "HEAD /bundle/latest");
	assert_null(strstr(r.body, "newest bundle"));
	reply_free(&r);

	svd_http_stop(server);
	server = NULL;
}

/* The header parsers alone (http_parse.c): what must be refused, and what must not. */

static void range_is(const char *v, uint64_t len, svd_http_range_kind want, uint64_t a, uint64_t b)
{
	uint64_t first = 77, last = 77;
	svd_http_range_kind got = svd_http_range_parse(&first, &last, v, len);

	if (got != want)
		fail_msg("Range '%s' of %" PRIu64 " bytes: kind %d, not %d", v, len, (int)got,
		         (int)want);
	if (want == SVD_HTTP_RANGE_PART && (first != a || last != b))
		fail_msg("Range '%s' of %" PRIu64 " bytes: %" PRIu64 "-%" PRIu64 ", not %" PRIu64
		         "-%" PRIu64,
		         v, len, first, last, a, b);
}

static void test_parse_range(void **state)
{
	(void)state;
	range_is("bytes=0-99", 1000, SVD_HTTP_RANGE_PART, 0, 99);
	range_is("bytes=10-", 1000, SVD_HTTP_RANGE_PART, 10, 999);
	range_is("bytes=-100", 1000, SVD_HTTP_RANGE_PART, 900, 999);
	range_is("bytes=-5000", 1000, SVD_HTTP_RANGE_PART, 0, 999);
	range_is("bytes=990-5000", 1000, SVD_HTTP_RANGE_PART, 990, 999);
	range_is("bytes=999-999", 1000, SVD_HTTP_RANGE_PART, 999, 999);
	range_is("Bytes=1-2", 1000, SVD_HTTP_RANGE_PART, 1, 2);
	range_is("bytes=1-2, ", 1000, SVD_HTTP_RANGE_PART, 1, 2); /* an empty list element */
	range_is("bytes=0-99999999999999999999999", 1000, SVD_HTTP_RANGE_PART, 0, 999);
	/* unsatisfiable: 416 */
	range_is("bytes=1000-", 1000, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range_is("bytes=5000-6000", 1000, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range_is("bytes=-0", 1000, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range_is("bytes=0-", 0, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range_is("bytes=-1", 0, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range_is("bytes=99999999999999999999999-", 1000, SVD_HTTP_RANGE_UNSATISFIABLE, 0, 0);
	/* must fail: ignored, the whole body */
	range_is("", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=,", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=-", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=a-b", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=5-1", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=1-2x", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=--1", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=+1-2", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=1 -2", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes 0-1", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("items=0-1", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytesx=0-1", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	/* several ranges: served whole (documented), even when one is past the end */
	range_is("bytes=0-1,5-9", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
	range_is("bytes=0-1,5000-", 1000, SVD_HTTP_RANGE_WHOLE, 0, 0);
}

static void test_parse_accept_encoding(void **state)
{
	(void)state;
	assert_int_equal(svd_http_accepts_gzip("gzip"), 1);
	assert_int_equal(svd_http_accepts_gzip("deflate, gzip, br"), 1);
	assert_int_equal(svd_http_accepts_gzip("GZIP;Q=0.5"), 1);
	assert_int_equal(svd_http_accepts_gzip("x-gzip"), 1);
	assert_int_equal(svd_http_accepts_gzip("*"), 1);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=0.001"), 1);
	assert_int_equal(svd_http_accepts_gzip("gzip ; q=1.000"), 1);
	assert_int_equal(svd_http_accepts_gzip(",, gzip ,"), 1);
	assert_int_equal(svd_http_accepts_gzip("br;q=oops, gzip"), 1);
	/* must fail */
	assert_int_equal(svd_http_accepts_gzip(""), 0);
	assert_int_equal(svd_http_accepts_gzip("identity"), 0);
	assert_int_equal(svd_http_accepts_gzip("deflate, br"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=0"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=0.000"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=0, *"), 0); /* named beats * */
	assert_int_equal(svd_http_accepts_gzip("*;q=0"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=1.5"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=2"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;q=-1"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip;level=9"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzip x"), 0);
	assert_int_equal(svd_http_accepts_gzip("gzipped"), 0);
	assert_int_equal(svd_http_accepts_gzip("\"gzip\""), 0);
}

#define TAG "\"0123abcd\""

static void test_parse_etag_match(void **state)
{
	(void)state;
	assert_int_equal(svd_http_etag_match(TAG, TAG), 1);
	assert_int_equal(svd_http_etag_match("W/" TAG, TAG), 1); /* weak comparison */
	assert_int_equal(svd_http_etag_match("\"x\", " TAG, TAG), 1);
	assert_int_equal(svd_http_etag_match("\"x\",W/" TAG " , \"y\"", TAG), 1);
	assert_int_equal(svd_http_etag_match("*", TAG), 1);
	assert_int_equal(svd_http_etag_match(" * ", TAG), 1);
	/* must fail */
	assert_int_equal(svd_http_etag_match("*", NULL), 0);
	assert_int_equal(svd_http_etag_match(TAG, NULL), 0);
	assert_int_equal(svd_http_etag_match("", TAG), 0);
	assert_int_equal(svd_http_etag_match("0123abcd", TAG), 0);      /* unquoted */
	assert_int_equal(svd_http_etag_match("\"0123abcd", TAG), 0);    /* unterminated */
	assert_int_equal(svd_http_etag_match("\"0123abc\"", TAG), 0);   /* a prefix */
	assert_int_equal(svd_http_etag_match("\"0123abcde\"", TAG), 0); /* longer */
	assert_int_equal(svd_http_etag_match("w/" TAG, TAG), 0);        /* W/ is case-sensitive */
	assert_int_equal(svd_http_etag_match("*, " TAG, TAG), 0);
	assert_int_equal(svd_http_etag_match(TAG " junk", TAG), 0);
	assert_int_equal(svd_http_etag_match("\"x\" " TAG, TAG), 0); /* no comma */
	assert_int_equal(svd_http_etag_match("\"a\"b\", " TAG, TAG), 0);
	assert_int_equal(svd_http_etag_match("\"0123abcd-gz\"", TAG), 0);
}

static void test_parse_if_range(void **state)
{
	(void)state;
	assert_int_equal(svd_http_if_range(TAG, TAG, 0), 1);
	assert_int_equal(svd_http_if_range("Sun, 06 Nov 1994 08:49:37 GMT", NULL, 784111777), 1);
	/* must fail: a weak tag, another tag, a list, another date, no validator */
	assert_int_equal(svd_http_if_range("W/" TAG, TAG, 0), 0);
	assert_int_equal(svd_http_if_range("\"other\"", TAG, 0), 0);
	assert_int_equal(svd_http_if_range(TAG ", " TAG, TAG, 0), 0);
	assert_int_equal(svd_http_if_range(TAG, NULL, 0), 0);
	assert_int_equal(svd_http_if_range("Sun, 06 Nov 1994 08:49:38 GMT", NULL, 784111777), 0);
	assert_int_equal(svd_http_if_range("Sun, 06 Nov 1994 08:49:37 GMT", TAG, 0), 0);
	assert_int_equal(svd_http_if_range("yesterday", TAG, 784111777), 0);
	assert_int_equal(svd_http_if_range("", TAG, 784111777), 0);
}

static void date_is(const char *v, int64_t want)
{
	int64_t t = -77;

	if (svd_http_date_parse(&t, v) != 0 || t != want)
		fail_msg("'%s': %" PRId64 ", not %" PRId64, v, t, want);
}

static void date_refused(const char *v)
{
	int64_t t;

	if (svd_http_date_parse(&t, v) == 0)
		fail_msg("'%s' is taken for a date (%" PRId64 ")", v, t);
}

static void test_parse_date(void **state)
{
	char out[SVD_HTTP_DATE_LEN + 1];
	int64_t t;

	(void)state;
	/* the three forms of RFC 9110, 5.6.7 */
	date_is("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	date_is("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	date_is("Sun Nov  6 08:49:37 1994", 784111777);
	date_is("Thu, 01 Jan 1970 00:00:00 GMT", 0);
	date_is("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000);
	date_is("Wed, 31 Dec 2025 23:59:60 GMT", 1767225599);   /* a leap second */
	date_is("Tuesday, 01-Jan-30 00:00:00 GMT", 1893456000); /* 2030 */
	/* must fail */
	date_refused("");
	date_refused("Sun, 06 Nov 1994 08:49:37");
	date_refused("Sun, 06 Nov 1994 08:49:37 UTC");
	date_refused("Sun, 6 Nov 1994 08:49:37 GMT");
	date_refused("Sun, 06 nov 1994 08:49:37 GMT");
	date_refused("Sun, 06 Nov 94 08:49:37 GMT");
	date_refused("Sun, 31 Nov 1994 08:49:37 GMT");
	date_refused("Fri, 29 Feb 2023 00:00:00 GMT");
	date_refused("Sun, 06 Nov 1994 24:00:00 GMT");
	date_refused("Sun, 06 Nov 1994 08:60:00 GMT");
	date_refused("Sun, 06 Nov 1994 08:49:61 GMT");
	date_refused("Sun, 00 Nov 1994 08:49:37 GMT");
	date_refused("Sun, 06 Nov 1994 08:49:37 GMT trailing");
	date_refused("Xyz, 06 Nov 1994 08:49:37 GMT");
	date_refused("Sun, 06 Nov 1899 08:49:37 GMT");
	date_refused("Sunday, 06-Nov-1994 08:49:37 GMT");
	date_refused("Sunday 06-Nov-94 08:49:37 GMT");
	date_refused("Sun Nov 6 08:49:37 1994");
	date_refused("Sun Nov  6 08:49:37 94");
	date_refused("1994-11-06T08:49:37Z");
	date_refused("784111777");
	/* the format reads back */
	svd_http_date_format(out, 784111777);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	svd_http_date_format(out, 1709208000);
	assert_int_equal(svd_http_date_parse(&t, out), 0);
	assert_int_equal(t, 1709208000);
	/* tags a response may carry */
	assert_int_equal(svd_http_etag_valid(TAG, 128), 1);
	assert_int_equal(svd_http_etag_valid("\"\"", 128), 1);
	assert_int_equal(svd_http_etag_valid("W/" TAG, 128), 0);
	assert_int_equal(svd_http_etag_valid("\"a\"b\"", 128), 0);
	assert_int_equal(svd_http_etag_valid("\"a\r\nX: y\"", 128), 0);
	assert_int_equal(svd_http_etag_valid("\"", 128), 0);
	assert_int_equal(svd_http_etag_valid(TAG, 4), 0);
}

/* A server over replies made here, with every field a site may set. */

#define MTIME    1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */
#define PRE_TAG  "\"precomputed\""
#define TEXT_LEN 5000

static char text[TEXT_LEN + 1];
static unsigned char *pre_gz;
static size_t pre_gz_len;
static char file_path[PATH_MAX];

typedef struct fake_reply {
	svd_site_reply pub;
	char *owned;
} fake_reply;

/* The replies by path; the query is echoed by /q. */
static int fake_get(svd_site_reply **out, void *cls, const char *path, size_t len,
                    const char *query)
{
	fake_reply *f = calloc(1, sizeof(*f));
	svd_site_reply *r;

	(void)cls;
	(void)len;
	if (!f)
		return -1;
	r = &f->pub;
	r->fd = -1;
	r->status = 200;
	r->type = "text/plain; charset=utf-8";
	if (!strcmp(path, "/text")) {
		r->data = text;
		r->len = TEXT_LEN;
		r->compress = 1;
		r->mtime = MTIME;
		r->cache = SVD_SITE_CACHE_REVALIDATE;
	} else if (!strcmp(path, "/pre")) {
		r->data = text;
		r->len = TEXT_LEN;
		r->compress = 1;
		r->etag = PRE_TAG;
		r->gz_data = pre_gz;
		r->gz_len = pre_gz_len;
		r->cache = SVD_SITE_CACHE_REVALIDATE;
	} else if (!strcmp(path, "/small")) {
		r->data = text;
		r->len = 100;
		r->compress = 1;
	} else if (!strcmp(path, "/immutable")) {
		r->data = text;
		r->len = 10;
		r->cache = SVD_SITE_CACHE_IMMUTABLE;
	} else if (!strcmp(path, "/file")) {
		r->fd = open(file_path, O_RDONLY | O_CLOEXEC);
		r->len = TEXT_LEN;
		r->type = "application/octet-stream";
		r->cache = SVD_SITE_CACHE_REVALIDATE;
	} else if (!strcmp(path, "/busy")) {
		r->status = 503;
		r->data = "not yet\n";
		r->len = 8;
		r->retry_after = 7;
		r->cache = SVD_SITE_CACHE_REVALIDATE; /* an error is never kept, whatever it says */
	} else if (!strcmp(path, "/q")) {
		f->owned = strdup(query ? query : "(none)");
		r->data = f->owned;
		r->len = f->owned ? strlen(f->owned) : 0;
	} else {
		r->status = 404;
		r->data = "no\n";
		r->len = 3;
	}
	*out = r;
	return 0;
}

static void fake_put(svd_site_reply *r)
{
	fake_reply *f = (fake_reply *)r;

	if (!f)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(f->owned);
	free(f);
}

static svd_http *fake;

static void fake_start(void)
{
	svd_http_opts o = {0};
	z_stream z = {0};
	size_t i;

	for (i = 0; i < TEXT_LEN; i++)
		text[i] = (char)('a' + (i * 7 + i / 13) % 26);
	th_join(file_path, sizeof(file_path), tmpdir, "file.bin");
	th_write_file(file_path, text, TEXT_LEN);
	assert_non_null(pre_gz = malloc(TEXT_LEN));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)text;
	z.avail_in = TEXT_LEN;
	z.next_out = pre_gz;
	z.avail_out = TEXT_LEN;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	pre_gz_len = z.total_out;
	deflateEnd(&z);

	o.port_any = 1;
	o.get = fake_get;
	o.put = fake_put;
	o.header_timeout_s = 1;
	if (svd_http_start(&fake, NULL, &o) != 0)
		fail_msg("cannot start: %s", svd_error_last());
	port = svd_http_port(fake);
}

static void fake_stop(void)
{
	svd_http_stop(fake);
	fake = NULL;
	free(pre_gz);
	pre_gz = NULL;
}

/* The value of a response header (case-insensitive name), into out; "" when absent. */
static const char *header_of(const reply *r, const char *name, char *out, size_t size)
{
	const char *line = r->head;
	size_t n = strlen(name), len;

	out[0] = '\0';
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncasecmp(line, name, n) && line[n] == ':') {
			line += n + 1;
			while (*line == ' ')
				line++;
			len = strcspn(line, "\r\n");
			snprintf(out, size, "%.*s", (int)len, line);
			break;
		}
	}
	return out;
}

static void expect_no_header(const reply *r, const char *name)
{
	char v[256];

	if (*header_of(r, name, v, sizeof(v)))
		fail_msg("a header '%s: %s' in:\n%s", name, v, r->head);
}

/* gunzip with zlib: the bytes must be text's TEXT_LEN */
static void expect_gunzips_to_text(const reply *r)
{
	char out[TEXT_LEN + 16];
	z_stream z = {0};

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)r->body;
	z.avail_in = (uInt)r->len;
	z.next_out = (Bytef *)out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, TEXT_LEN);
	assert_memory_equal(out, text, TEXT_LEN);
	inflateEnd(&z);
}

static void test_conditional_and_gzip(void **state)
{
	char tag[128], tag_gz[128], v[256], args[512], date[SVD_HTTP_DATE_LEN + 1];
	char gz_len[32];
	unsigned long gzips;
	reply r;

	(void)state;
	fake_start();

	/* identity: a strong tag from the bytes, Last-Modified, Vary, no-cache */
	get(&r, "/text");
	expect_status(&r, 200, "/text");
	assert_int_equal(r.len, TEXT_LEN);
	header_of(&r, "ETag", tag, sizeof(tag));
	assert_int_equal(strlen(tag), 34);
	assert_int_equal(tag[0], '"');
	expect_header(&r, "Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
	expect_header(&r, "Vary", "Accept-Encoding");
	expect_header(&r, "Cache-Control", "no-cache");
	expect_header(&r, "Accept-Ranges", "bytes");
	expect_no_header(&r, "Content-Encoding");
	reply_free(&r);

	/* gzip made on the fly: its own tag "...-gz" */
	ask(&r, "-H 'Accept-Encoding: gzip, br'", "/text");
	expect_status(&r, 200, "/text gzip");
	expect_header(&r, "Content-Encoding", "gzip");
	expect_header(&r, "Vary", "Accept-Encoding");
	header_of(&r, "ETag", tag_gz, sizeof(tag_gz));
	snprintf(v, sizeof(v), "%.*s-gz\"", (int)strlen(tag) - 1, tag);
	assert_string_equal(tag_gz, v);
	assert_true(r.len < TEXT_LEN);
	expect_gunzips_to_text(&r);
	snprintf(gz_len, sizeof(gz_len), "%zu", r.len);
	reply_free(&r);
	ask(&r, "-H 'Accept-Encoding: gzip;q=0, *'", "/text");
	expect_no_header(&r, "Content-Encoding");
	assert_int_equal(r.len, TEXT_LEN);
	reply_free(&r);

	/* precomputed: those bytes exactly */
	ask(&r, "-H 'Accept-Encoding: gzip'", "/pre");
	expect_header(&r, "Content-Encoding", "gzip");
	expect_header(&r, "ETag", "\"precomputed-gz\"");
	assert_int_equal(r.len, pre_gz_len);
	assert_memory_equal(r.body, pre_gz, pre_gz_len);
	reply_free(&r);
	get(&r, "/pre");
	expect_header(&r, "ETag", PRE_TAG);
	reply_free(&r);

	/* small: not worth it, but the reply still varies */
	ask(&r, "-H 'Accept-Encoding: gzip'", "/small");
	expect_no_header(&r, "Content-Encoding");
	expect_header(&r, "Vary", "Accept-Encoding");
	assert_int_equal(r.len, 100);
	reply_free(&r);

	/* 304 by tag, for the variant sent */
	snprintf(args, sizeof(args), "-H 'If-None-Match: %s'", tag);
	ask(&r, args, "/text");
	expect_status(&r, 304, "If-None-Match: the identity tag");
	expect_header(&r, "ETag", tag);
	expect_header(&r, "Cache-Control", "no-cache");
	assert_int_equal(r.len, 0);
	reply_free(&r);
	snprintf(args, sizeof(args), "-H 'If-None-Match: \"x\", W/%s'", tag);
	ask(&r, args, "/text");
	expect_status(&r, 304, "If-None-Match: a weak tag in a list");
	reply_free(&r);
	/* a 304 of the gzip variant deflates nothing: its tag is known without */
	gzips = svd_http_gzips();
	snprintf(args, sizeof(args), "-H 'Accept-Encoding: gzip' -H 'If-None-Match: %s'", tag_gz);
	ask(&r, args, "/text");
	expect_status(&r, 304, "If-None-Match: the gzip tag, gzip taken");
	expect_header(&r, "ETag", tag_gz);
	expect_header(&r, "Content-Encoding", "gzip");
	reply_free(&r);
	ask(&r, "-H 'Accept-Encoding: gzip' -H 'If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT'",
	    "/text");
	expect_status(&r, 304, "If-Modified-Since: gzip taken");
	reply_free(&r);
	assert_int_equal(svd_http_gzips(), gzips);
	/* a HEAD reports what a GET would, gzip and its length: it compresses */
	ask(&r, "-I -H 'Accept-Encoding: gzip'", "/text");
	expect_status(&r, 200, "HEAD gzip");
	expect_header(&r, "Content-Encoding", "gzip");
	expect_header(&r, "ETag", tag_gz);
	expect_header(&r, "Content-Length", gz_len);
	reply_free(&r);
	assert_int_equal(svd_http_gzips(), gzips + 1);
	snprintf(args, sizeof(args), "-H 'Accept-Encoding: gzip' -H 'If-None-Match: %s'", tag);
	ask(&r, args, "/text");
	expect_status(&r, 200, "If-None-Match: the identity tag, gzip taken");
	reply_free(&r);
	snprintf(args, sizeof(args), "-H 'If-None-Match: %s'", tag_gz);
	ask(&r, args, "/text");
	expect_status(&r, 200, "If-None-Match: the gzip tag, identity sent");
	reply_free(&r);
	ask(&r, "-H 'If-None-Match: *'", "/text");
	expect_status(&r, 304, "If-None-Match: *");
	reply_free(&r);
	ask(&r, "-H 'If-None-Match: \"nope\"'", "/text");
	expect_status(&r, 200, "If-None-Match: another tag");
	reply_free(&r);

	/* 304 by date, only without If-None-Match */
	ask(&r, "-H 'If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT'", "/text");
	expect_status(&r, 304, "If-Modified-Since: the same second");
	reply_free(&r);
	ask(&r, "-H 'If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT'", "/text");
	expect_status(&r, 304, "If-Modified-Since: later");
	reply_free(&r);
	ask(&r, "-H 'If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT'", "/text");
	expect_status(&r, 200, "If-Modified-Since: a second before");
	reply_free(&r);
	ask(&r, "-H 'If-Modified-Since: tomorrow'", "/text");
	expect_status(&r, 200, "If-Modified-Since: not a date");
	reply_free(&r);
	ask(&r,
	    "-H 'If-None-Match: \"nope\"' -H 'If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT'",
	    "/text");
	expect_status(&r, 200, "If-None-Match decides, not If-Modified-Since");
	reply_free(&r);
	ask(&r, "-H 'If-Modified-Since: Wed, 15 Nov 2030 00:00:00 GMT'", "/pre");
	expect_status(&r, 200, "If-Modified-Since without a Last-Modified");
	reply_free(&r);

	/* a file: validators from the file itself */
	get(&r, "/file");
	expect_status(&r, 200, "/file");
	assert_int_equal(r.len, TEXT_LEN);
	assert_memory_equal(r.body, text, TEXT_LEN);
	header_of(&r, "ETag", tag, sizeof(tag));
	assert_true(strlen(tag) > 4);
	header_of(&r, "Last-Modified", date, sizeof(date));
	assert_int_equal(strlen(date), SVD_HTTP_DATE_LEN);
	reply_free(&r);
	snprintf(args, sizeof(args), "-H 'If-None-Match: %s'", tag);
	ask(&r, args, "/file");
	expect_status(&r, 304, "/file If-None-Match");
	reply_free(&r);
	snprintf(args, sizeof(args), "-H 'If-Modified-Since: %s'", date);
	ask(&r, args, "/file");
	expect_status(&r, 304, "/file If-Modified-Since");
	reply_free(&r);

	/* Cache-Control and Retry-After */
	get(&r, "/immutable");
	expect_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
	reply_free(&r);
	get(&r, "/small");
	expect_header(&r, "Cache-Control", "no-store");
	reply_free(&r);
	get(&r, "/nothing");
	expect_status(&r, 404, "/nothing");
	expect_header(&r, "Cache-Control", "no-store");
	expect_no_header(&r, "ETag");
	reply_free(&r);
	get(&r, "/busy");
	expect_status(&r, 503, "/busy");
	expect_header(&r, "Retry-After", "7");
	expect_header(&r, "Cache-Control", "no-store");
	reply_free(&r);
}

static void expect_part(const char *args, const char *path, uint64_t a, uint64_t b)
{
	char want[96];
	reply r;

	ask(&r, args, path);
	if (r.status != 206)
		fail_msg("%s %s: status %d, not 206", args, path, r.status);
	snprintf(want, sizeof(want), "bytes %" PRIu64 "-%" PRIu64 "/%d", a, b, TEXT_LEN);
	expect_header(&r, "Content-Range", want);
	assert_int_equal(r.len, b - a + 1);
	assert_memory_equal(r.body, text + a, b - a + 1);
	expect_no_header(&r, "Content-Encoding");
	reply_free(&r);
}

static void test_ranges(void **state)
{
	char tag[128], args[512];
	const char *paths[] = {"/text", "/file"};
	size_t i;
	reply r;

	(void)state;
	for (i = 0; i < 2; i++) {
		expect_part("-r 10-19", paths[i], 10, 19);
		expect_part("-r 4990-", paths[i], 4990, 4999);
		expect_part("-r -25", paths[i], 4975, 4999);
		expect_part("-r 0-99999", paths[i], 0, 4999);
		/* ranges of the identity, even when gzip is taken */
		expect_part("-r 100-199 -H 'Accept-Encoding: gzip'", paths[i], 100, 199);
		/* past the end */
		ask(&r, "-r 5000-", paths[i]);
		expect_status(&r, 416, "a range past the end");
		expect_header(&r, "Content-Range", "bytes */5000");
		reply_free(&r);
		/* several ranges: all of it */
		ask(&r, "-r 0-1,5-9", paths[i]);
		expect_status(&r, 200, "several ranges");
		assert_int_equal(r.len, TEXT_LEN);
		reply_free(&r);
		/* malformed: all of it */
		ask(&r, "-H 'Range: bytes=9-1'", paths[i]);
		expect_status(&r, 200, "a malformed range");
		reply_free(&r);
		/* If-Range: the tag */
		get(&r, paths[i]);
		header_of(&r, "ETag", tag, sizeof(tag));
		reply_free(&r);
		snprintf(args, sizeof(args), "-r 1-2 -H 'If-Range: %s'", tag);
		expect_part(args, paths[i], 1, 2);
		ask(&r, "-r 1-2 -H 'If-Range: \"stale\"'", paths[i]);
		expect_status(&r, 200, "If-Range: another tag");
		assert_int_equal(r.len, TEXT_LEN);
		reply_free(&r);
		snprintf(args, sizeof(args), "-r 1-2 -H 'If-Range: W/%s'", tag);
		ask(&r, args, paths[i]);
		expect_status(&r, 200, "If-Range: a weak tag");
		reply_free(&r);
		/* a Range header given twice: all of it */
		ask(&r, "-H 'Range: bytes=1-2' -H 'Range: bytes=3-4'", paths[i]);
		expect_status(&r, 200, "Range twice");
		reply_free(&r);
	}
	/* If-Range: the date */
	expect_part("-r 1-2 -H 'If-Range: Tue, 14 Nov 2023 22:13:20 GMT'", "/text", 1, 2);
	ask(&r, "-r 1-2 -H 'If-Range: Tue, 14 Nov 2023 22:13:21 GMT'", "/text");
	expect_status(&r, 200, "If-Range: another date");
	reply_free(&r);
	/* HEAD of a range */
	ask(&r, "-I -r 10-19", "/text");
	expect_status(&r, 206, "HEAD with a range");
	expect_header(&r, "Content-Length", "10");
	reply_free(&r);
}

/* A raw request on a new connection; what came back before the server closed or 5 s passed. */
static void raw(const char *req, char *out, size_t size, double *closed_after)
{
	struct sockaddr_in sin = {0};
	struct timeval tv = {5, 0};
	struct timespec t0, t1;
	size_t len = 0;
	ssize_t n;
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (len + 1 < size && (n = read(fd, out + len, size - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (closed_after)
		*closed_after = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	close(fd);
}

static void test_requests_refused(void **state)
{
	char out[4096], *long_q;
	double after;
	reply r;

	(void)state;
	/* both lengths: 400, and the connection ends */
	raw("GET /text HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\n\r\nGET /text HTTP/1.1\r\nHost: x\r\n\r\n",
	    out, sizeof(out), &after);
	if (strncmp(out, "HTTP/1.1 400", 12))
		fail_msg("CL+TE: %.200s", out);
	assert_non_null(strcasestr(out, "Connection: close"));
	assert_null(strstr(out + 12, "HTTP/1.1 200")); /* the smuggled request is not answered */
	assert_true(after < 4.0);
	raw("GET /text HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n", out,
	    sizeof(out), NULL);
	if (strncmp(out, "HTTP/1.1 400", 12))
		fail_msg("Content-Length twice: %.200s", out);
	raw("GET /text HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\n\r\n",
	    out, sizeof(out), NULL);
	if (strncmp(out, "HTTP/1.1 400", 12))
		fail_msg("Transfer-Encoding twice: %.200s", out);
	/* a GET with a body is answered, and its connection closed */
	raw("GET /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", out, sizeof(out),
	    &after);
	if (strncmp(out, "HTTP/1.1 200", 12))
		fail_msg("GET with a body: %.200s", out);
	assert_true(after < 4.0);

	/* the query as it came, to the site */
	get(&r, "/q?a=%41+b&c=%zz");
	assert_string_equal(r.body, "a=%41+b&c=%zz");
	reply_free(&r);
	get(&r, "/q");
	assert_string_equal(r.body, "(none)");
	reply_free(&r);
	get(&r, "/q?");
	assert_string_equal(r.body, "");
	reply_free(&r);
	assert_non_null(long_q = malloc(SVD_HTTP_QUERY_MAX + 16));
	memcpy(long_q, "/q?", 3);
	memset(long_q + 3, 'x', SVD_HTTP_QUERY_MAX + 1);
	long_q[SVD_HTTP_QUERY_MAX + 4] = '\0';
	get(&r, long_q);
	expect_status(&r, 414, "a query over the limit");
	reply_free(&r);
	long_q[SVD_HTTP_QUERY_MAX + 3] = '\0';
	get(&r, long_q);
	expect_status(&r, 200, "a query at the limit");
	assert_int_equal(r.len, SVD_HTTP_QUERY_MAX);
	reply_free(&r);
	free(long_q);
}

/* One item whose photo.jpg is len bytes drawn from seed; its id. */
static void add_big(const char *title, size_t len, unsigned seed, char *id)
{
	char bpath[PATH_MAX], ppath[PATH_MAX];
	svd_source_file f[2] = {{"body.md", bpath}, {"photo.jpg", ppath}};
	svd_manifest *m = meta(title, NULL);
	uint8_t *bytes = malloc(len);
	svd_txn *t = NULL;
	size_t i;

	assert_non_null(bytes);
	for (i = 0; i < len; i++)
		bytes[i] = (uint8_t)((i * 31 + seed) ^ (i >> 9));
	th_path(bpath, sizeof(bpath), "%s/src-body.md", tmpdir);
	th_path(ppath, sizeof(ppath), "%s/src-photo.jpg", tmpdir);
	th_write_text(bpath, "A photo.\n");
	th_write_file(ppath, bytes, len);
	free(bytes);
	assert_int_equal(svd_txn_begin(&t, arch), 0);
	if (svd_txn_add_new(t, m, f, 2, sk, NULL) != 0)
		fail_msg("add %s: %s", title, svd_error_last());
	snprintf(id, SVD_ID_HEX_LEN + 1, "%s", svd_manifest_id(m));
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	svd_manifest_free(m);
}

/* A raw photo's reply as svd_site_get() makes it (pending: not read yet, for a big one). */
static svd_site_reply *site_ask(svd_site *s, const char *id)
{
	char path[128];
	svd_site_reply *r = NULL;

	snprintf(path, sizeof(path), "/items/%s/photo.jpg", id);
	if (svd_site_get(&r, s, path, strlen(path), NULL) != 0)
		fail_msg("%s: %s", path, svd_error_last());
	return r;
}

/* ... and after svd_site_reply_load(), as a GET sends it: its status must be status. */
static svd_site_reply *site_photo(svd_site *s, const char *id, unsigned status)
{
	svd_site_reply *r = site_ask(s, id);

	assert_int_equal(svd_site_reply_load(r), 0);
	assert_false(r->pending);
	if (r->status != status)
		fail_msg("%s's photo: status %u, not %u: %.*s", id, r->status, status,
		         (int)(r->len > 300 ? 300 : r->len),
		         r->fd < 0 ? (const char *)r->data : "");
	return r;
}

/*
 * Raw files over 1 MiB are read from the store when a body is due: the
 * reply says its length and tag before (a HEAD or a 304 reads nothing);
 * every reply of one blob shares one copy, and all of them together stay
 * within send_max (3 MiB here): past it 503 with Retry-After until a reply
 * is freed; a file over it 503 "too large" without; small files kept with
 * the index are served when the budget is full.
 */
static void test_send_memory(void **state)
{
	static const size_t big = 1536 * 1024;
	svd_site_opts o = {.no_builder = 1, .send_max = 3u * 1024 * 1024};
	svd_site_reply *a1, *a2, *b, *small, *r;
	char id_a[SVD_ID_HEX_LEN + 1], id_b[SVD_ID_HEX_LEN + 1], id_c[SVD_ID_HEX_LEN + 1];
	char id_d[SVD_ID_HEX_LEN + 1], id_s[SVD_ID_HEX_LEN + 1], blob[41], etag[64];
	svd_site *s = NULL;
	uint64_t size;
	size_t i;

	(void)state;
	add_big("Big A", big, 1, id_a);
	add_big("Big B", big, 2, id_b);
	add_big("Big D", big, 4, id_d);
	add_big("Too big", 3u * 1024 * 1024 + 1, 3, id_c);
	add_item("Small", NULL, "Small.\n", 1, id_s);
	assert_int_equal(svd_site_new(&s, archive_path, NULL, &o), 0);

	/* before it is read: its length and tag, no bytes */
	a1 = site_ask(s, id_a);
	assert_int_equal(a1->status, 200);
	assert_true(a1->pending);
	assert_null(a1->data);
	assert_int_equal(a1->len, big);
	assert_int_equal(svd_store_file_find(arch, id_a, "photo.jpg", UINT64_MAX, blob, &size), 0);
	snprintf(etag, sizeof(etag), "\"%s\"", blob);
	assert_string_equal(a1->etag, etag);
	assert_int_equal(svd_site_reply_load(a1), 0);
	assert_int_equal(a1->status, 200);
	assert_int_equal(a1->len, big);
	for (i = 0; i < big; i++)
		if (((const uint8_t *)a1->data)[i] != (uint8_t)((i * 31 + 1) ^ (i >> 9)))
			fail_msg("byte %zu of A differs", i);
	a2 = site_photo(s, id_a, 200);
	assert_ptr_equal(a2->data, a1->data); /* one copy for both */
	b = site_photo(s, id_b, 200);         /* 1.5 + 1.5 MiB: the budget, exactly */
	assert_int_equal(((const uint8_t *)b->data)[1000],
	                 (uint8_t)((1000 * 31 + 2) ^ (1000 >> 9)));

	small = site_photo(s, id_s, 200); /* kept with the index: served all the same */
	assert_int_equal(small->len, sizeof(photo));
	assert_memory_equal(small->data, photo, sizeof(photo));

	r = site_ask(s, id_d); /* its length and tag need no room ... */
	assert_true(r->pending);
	assert_int_equal(r->len, big);
	assert_int_equal(svd_site_reply_load(r), 0); /* ... its bytes do */
	assert_int_equal(r->status, 503);
	assert_true(r->retry_after > 0);
	assert_null(r->etag);
	assert_non_null(memmem(r->data, r->len, "try again", 9));
	svd_site_reply_free(r);

	r = site_ask(s, id_c); /* over send_max whatever is in flight */
	assert_int_equal(r->status, 503);
	assert_false(r->pending);
	assert_int_equal(r->retry_after, 0);
	assert_non_null(memmem(r->data, r->len, "too large", 9));
	svd_site_reply_free(r);

	svd_site_reply_free(a1);
	svd_site_reply_free(site_photo(s, id_d, 503)); /* a2 still holds A */
	svd_site_reply_free(a2);
	r = site_photo(s, id_d, 200);
	assert_int_equal(((const uint8_t *)r->data)[77], (uint8_t)((77 * 31 + 4) ^ (77 >> 9)));
	svd_site_reply_free(site_photo(s, id_a, 503)); /* B and D hold 3 MiB */
	svd_site_reply_free(r);
	svd_site_reply_free(b);
	svd_site_reply_free(site_photo(s, id_a, 200)); /* everything given back */
	svd_site_reply_free(site_ask(s, id_c));        /* a pending reply never read: freed */
	svd_site_reply_free(site_ask(s, id_b));
	svd_site_reply_free(small);
	svd_site_free(s);
}

/*
 * The header deadline (1 s here): a connection that trickles its headers a
 * byte every 0.3 s, which MHD's idle timeout never ends, is cut by the
 * sweeper; an idle kept-alive connection too; a quick request is answered.
 */
static void test_header_deadline(void **state)
{
	static const char part[] = "GET /text HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	struct sockaddr_in sin = {0};
	struct timespec t0, t1;
	char c, out[4096];
	double took;
	int fd, i, closed = 0;
	ssize_t n;

	(void)state;
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write(fd, part, sizeof(part) - 1), (ssize_t)(sizeof(part) - 1));
	for (i = 0; i < 20 && !closed; i++) {
		usleep(300 * 1000);
		c = 'a';
		if (send(fd, &c, 1, MSG_NOSIGNAL) != 1 ||
		    ((n = recv(fd, out, sizeof(out), MSG_DONTWAIT)) == 0) ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!closed || took > 2.5)
		fail_msg("a trickling connection was %s after %.1f s (deadline 1 s)",
		         closed ? "cut" : "still open", took);

	/* a kept-alive connection waits for its next request no longer */
	raw("GET /small HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof(out), &took);
	if (strncmp(out, "HTTP/1.1 200", 12) || took > 2.5 || took < 0.5)
		fail_msg("an idle kept-alive connection ended after %.1f s: %.100s", took, out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_path_refused),
	    cmocka_unit_test(test_check_path_accepted),
	    cmocka_unit_test(test_start_refused),
	    cmocka_unit_test(test_serve),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_keep_alive),
	    cmocka_unit_test(test_index_follows_main),
	    cmocka_unit_test(test_bundle_latest),
	    cmocka_unit_test(test_parse_range),
	    cmocka_unit_test(test_parse_accept_encoding),
	    cmocka_unit_test(test_parse_etag_match),
	    cmocka_unit_test(test_parse_if_range),
	    cmocka_unit_test(test_parse_date),
	    cmocka_unit_test(test_conditional_and_gzip),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_requests_refused),
	    cmocka_unit_test(test_header_deadline),
	    cmocka_unit_test(test_send_memory),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
