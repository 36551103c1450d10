/*
 * test_http.c: the read-only HTTP service — the path gate on its own
 * (must-fail and must-pass paths), then a real server on a real archive in
 * a temporary folder, asked with stock curl: pages, raw files, JSON, HEAD,
 * refused methods, traversal attempts, overlong URLs and the outbox bundle.
 */
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "helpers.h"
#include "site_internal.h"
#include "samvydav/archive.h"
#include "http.h"
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
	refused("/search/s64.js");
	refused("/search/s7.js");
	refused("/search/s007.js");
	refused("/search/sa1.js");
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
	accepted("/search/s00.js");
	accepted("/search/s63.js");
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
	         body_path, head_path, args, (unsigned)svd_http_port(server), path);
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
	assert_true(svd_http_port(server) != 0);
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
	assert_string_equal(r.body, "[]");
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
	for (i = 0, evil = 0; i < SVD_SEARCH_SHARDS; i++) {
		snprintf(path, sizeof(path), "/search/s%02zu.js", i);
		get(&r, path);
		expect_status(&r, 200, path);
		assert_non_null(strstr(r.body, "svdShard("));
		evil += strstr(r.body, "\"bold\"") != NULL;
		reply_free(&r);
	}
	assert_int_equal(evil, 1); /* a word of the body is in one shard */
	evil = 0;

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
	assert_non_null(j = json_loads(r.body, 0, &je));
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	json_array_foreach(j, i, v)
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
	sin.sin_port = htons(svd_http_port(server));
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
	assert_int_equal(json_array_size(j), 3);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "id")), id);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_path_refused), cmocka_unit_test(test_check_path_accepted),
	    cmocka_unit_test(test_start_refused),      cmocka_unit_test(test_serve),
	    cmocka_unit_test(test_refusals),           cmocka_unit_test(test_keep_alive),
	    cmocka_unit_test(test_index_follows_main), cmocka_unit_test(test_bundle_latest),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
