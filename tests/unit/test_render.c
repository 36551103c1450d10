/*
 * test_render.c: the reader library's renderer (SPEC.md, 11). Hostile
 * titles, authors and bodies come out as text; raw HTML and javascript:
 * links do not survive Markdown; pages carry their item's language and the
 * gate's verdict; retractions hide, supersession links both ways; folding
 * follows tests/data/fold-cases.txt (the browser tests read the same file
 * through search/fold.js); tokens and shards follow the contract; the
 * paged library has its list pages, rows and dictionary (SPEC.md, 11.2,
 * 11.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "catalog_internal.h"
#include "library_paths.h"
#include "render_internal.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "samvydav/sig.h"

static const char hostile_title[] = "<script>alert(1)</script>";
static const char hostile_author[] = "\"><img src=x onerror=alert(2)>";
static const char hostile_body[] =
    "# Заголовок\n\n"
    "Text <script>alert(3)</script> and <img src=x onerror=alert(4)>.\n\n"
    "<div onclick=\"alert(5)\">raw block</div>\n\n"
    "[click](javascript:alert(6)) [also](JAVASCRIPT:alert(7)) "
    "[data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    "![pixel](https://tracker.example/p.gif) ![own](photo.jpg) [own file](photo.jpg)\n";

/* A manifest built from fields; the caller's. */
static svd_manifest *manifest(const char *title, const char *lang, const char *published,
                              const char *author, const char *kind, const char *supersedes,
                              const char *retracts)
{
	static const uint8_t sha[32] = {1};
	svd_manifest *m = NULL;
	svd_kind k;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_kind_parse(&k, kind), 0);
	assert_int_equal(svd_manifest_set_kind(m, k), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", lang), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-01-01T00:00:00Z"), 0);
	if (published)
		assert_int_equal(svd_manifest_set(m, "published", published), 0);
	if (author)
		assert_int_equal(svd_manifest_add_author(m, author), 0);
	if (supersedes)
		assert_int_equal(svd_manifest_set(m, "supersedes", supersedes), 0);
	if (retracts)
		assert_int_equal(svd_manifest_set(m, "retracts", retracts), 0);
	if (k != SVD_KIND_RETRACTION) {
		assert_int_equal(svd_manifest_add_file(m, "body.md", 10, sha), 0);
		assert_int_equal(svd_manifest_add_file(m, "photo.jpg", 10, sha), 0);
	}
	assert_int_equal(svd_manifest_serialize(m), 0);
	return m;
}

static char *render_page(const svd_catalog *c, const char *id, const svd_verdict *v,
                         const char *body)
{
	svd_buf b;

	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	assert_int_equal(svd_render_item(&b, c, id, v, body, body ? strlen(body) : 0), 0);
	assert_non_null(b.data);
	return b.data;
}

static char *render_index(const svd_catalog *c)
{
	svd_buf b;

	svd_buf_init(&b, SVD_RENDER_INDEX_MAX);
	assert_int_equal(svd_render_index(&b, c), 0);
	return b.data;
}

/*
 * A title and an author with bidirectional controls (SPEC.md, 13): in the
 * page and the index each is isolated in <bdi>, and no override, embedding
 * or isolate is there raw (nor as a character reference, which acts too).
 */
static void test_bidi_text(void **state)
{
	svd_manifest *m = manifest("invoice \xe2\x80\xaegpj.exe", "uk", "2022-11-25",
	                           "\xe2\x81\xa7"
	                           "Ann\xe2\x80\xab",
	                           "article", NULL, NULL);
	svd_catalog *c = NULL;
	char *page, *index;

	(void)state;
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, m, "Text.\n", 6), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	page = render_page(c, svd_manifest_id(m), NULL, "Text.\n");
	index = render_index(c);
	assert_non_null(strstr(page, "<h1><bdi>invoice \xef\xbf\xbdgpj.exe</bdi></h1>"));
	assert_non_null(strstr(index, "<bdi>invoice \xef\xbf\xbdgpj.exe</bdi></a>"));
	assert_non_null(strstr(index, "<bdi>\xef\xbf\xbd"
	                              "Ann\xef\xbf\xbd</bdi>"));
	assert_null(strstr(page, "\xe2\x80\xae"));
	assert_null(strstr(index, "\xe2\x80\xae"));
	assert_null(strstr(index, "\xe2\x81\xa7"));
	assert_null(strstr(index, "&#x202"));
	assert_null(strstr(page, "&#x202"));
	free(page);
	free(index);
	svd_catalog_free(c);
	svd_manifest_free(m);
}

static void test_hostile_text(void **state)
{
	svd_manifest *m =
	    manifest(hostile_title, "uk", "2022-11-25", hostile_author, "article", NULL, NULL);
	svd_catalog *c = NULL;
	char *page, *index;

	(void)state;
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, m, hostile_body, strlen(hostile_body)), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	page = render_page(c, svd_manifest_id(m), NULL, hostile_body);
	index = render_index(c);

	/* the title and author as text, in the page and in the index */
	assert_non_null(strstr(page, "<h1><bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi></h1>"));
	assert_non_null(strstr(page, "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
	assert_non_null(strstr(page, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
	assert_non_null(strstr(index, "&lt;script&gt;alert(1)&lt;/script&gt;</bdi></a>"));
	assert_non_null(strstr(index, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
	/* nothing of the body's markup survives: no script, no handler, no javascript: */
	assert_null(strstr(page, "<script"));
	assert_null(strstr(index, "<script>alert"));
	assert_null(strstr(page, "<img src=x"));
	assert_null(strstr(index, "<img src=x"));
	assert_null(strstr(page, "onerror=alert(4)"));
	assert_null(strstr(page, "onclick"));
	assert_null(strstr(page, "<div onclick"));
	assert_null(strstr(page, "javascript:"));
	assert_null(strstr(page, "JAVASCRIPT:"));
	assert_null(strstr(page, "data:text/html"));
	assert_non_null(strstr(page, "<a href=\"\">click</a>"));
	/* no outside image is loaded; the item's own file is linked where it is */
	assert_null(strstr(page, "<img src=\"https://"));
	assert_non_null(strstr(page, "<a href=\"https://tracker.example/p.gif\">pixel</a>"));
	assert_non_null(strstr(page, "src=\"../items/"));
	assert_non_null(strstr(page, "/photo.jpg\" alt=\"own\""));
	/* the page's language, and the Markdown rendered */
	assert_non_null(strstr(page, "<html lang=\"uk\">"));
	assert_non_null(strstr(page, "<h1>Заголовок</h1>"));
	assert_non_null(strstr(index, "<html lang=\"mul\">"));
	assert_non_null(strstr(index, " lang=\"uk\"><bdi>&lt;script"));
	assert_non_null(strstr(page, "Not checked"));
	free(page);
	free(index);
	svd_catalog_free(c);
	svd_manifest_free(m);
}

/* occurrences of needle in haystack */
static int count(const char *haystack, const char *needle)
{
	int n = 0;

	while ((haystack = strstr(haystack, needle)))
		n++, haystack += strlen(needle);
	return n;
}

/* h1s BODY: the <h1> headings of the page of an item titled "Школа в Мелітополі" */
static int h1s(const char *body)
{
	svd_manifest *m = manifest("Школа в Мелітополі", "uk", NULL, NULL, "article", NULL, NULL);
	svd_catalog *c = NULL;
	char *page;
	int n;

	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, m, body, strlen(body)), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	page = render_page(c, svd_manifest_id(m), NULL, body);
	n = count(page, "<h1>");
	assert_int_equal(count(page, "Текст."), 1);
	free(page);
	svd_catalog_free(c);
	svd_manifest_free(m);
	return n;
}

/* A body that opens with its own "# Title" shows the title once; any other heading stays. */
static void test_title_once(void **state)
{
	(void)state;
	assert_int_equal(h1s("# Школа в Мелітополі\n\nТекст.\n"), 1);
	assert_int_equal(h1s("\n#   Школа  в Мелітополі  #\nТекст.\n"), 1);
	assert_int_equal(h1s("Школа в\nМелітополі\n===\n\nТекст.\n"), 1);
	assert_int_equal(h1s("# *Школа* в Мелітополі\n\nТекст.\n"), 1);
	/* not the title, not level 1, not first: kept */
	assert_int_equal(h1s("# Школа в Маріуполі\n\nТекст.\n"), 2);
	assert_int_equal(h1s("# Школа в Мелітополі 2\n\nТекст.\n"), 2);
	assert_int_equal(h1s("# Школа\n\nТекст.\n"), 2);
	assert_int_equal(h1s("## Школа в Мелітополі\n\nТекст.\n"), 1);
	assert_int_equal(h1s("Текст.\n\n# Школа в Мелітополі\n"), 2);
	assert_int_equal(h1s("Текст.\n"), 1);
}

/* A signed item checked by the gate: the page says who signed and that it was accepted. */
static void test_verdict(void **state)
{
	svd_seckey *sk = NULL, *other_sk = NULL;
	svd_pubkey *pk = NULL, *other_pk = NULL;
	svd_trust *trust = NULL;
	svd_manifest *m = NULL;
	svd_verdict *v = NULL;
	svd_catalog *c = NULL;
	svd_sig *sig = NULL, *sig2 = NULL;
	char *sigtext = NULL, *sigtext2 = NULL, *page, path1[64], path2[64];
	const char *bytes;
	const char body[] = "Text of the testimony.\n";
	uint8_t sha[32];
	size_t len, slen, slen2;
	svd_entry e[4];
	svd_kind k;

	(void)state;
	crypto_hash_sha256(sha, (const uint8_t *)body, strlen(body));
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_kind_parse(&k, "testimony"), 0);
	assert_int_equal(svd_manifest_set_kind(m, k), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Свідчення"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-01-02T00:00:00Z"), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(body), sha), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	assert_int_equal(svd_key_generate(&other_sk, &other_pk), 0);
	assert_int_equal(svd_sig_create(&sig, sk, bytes, len, "t", NULL), 0);
	assert_int_equal(svd_sig_create(&sig2, other_sk, bytes, len, "t", NULL), 0);
	assert_int_equal(svd_sig_format(&sigtext, &slen, sig), 0);
	assert_int_equal(svd_sig_format(&sigtext2, &slen2, sig2), 0);
	assert_int_equal(svd_trust_new(&trust), 0);
	assert_int_equal(svd_trust_insert(trust, pk), 0);
	snprintf(path1, sizeof(path1), "sig/%s.minisig", svd_pubkey_id(pk));
	snprintf(path2, sizeof(path2), "sig/%s.minisig", svd_pubkey_id(other_pk));
	memset(e, 0, sizeof(e));
	e[0] = (svd_entry){.path = "manifest.json", .size = len, .data = bytes, .data_len = len};
	crypto_hash_sha256(e[0].sha256, (const uint8_t *)bytes, len);
	e[1] = (svd_entry){.path = "body.md", .size = strlen(body)};
	memcpy(e[1].sha256, sha, 32);
	e[2] = (svd_entry){.path = "sig", .type = SVD_ENTRY_DIR};
	e[3] = (svd_entry){.path = path1, .size = slen, .data = sigtext, .data_len = slen};
	crypto_hash_sha256(e[3].sha256, (const uint8_t *)sigtext, slen);
	{
		svd_entry all[5];
		memcpy(all, e, sizeof(e));
		all[4] =
		    (svd_entry){.path = path2, .size = slen2, .data = sigtext2, .data_len = slen2};
		crypto_hash_sha256(all[4].sha256, (const uint8_t *)sigtext2, slen2);
		assert_int_equal(svd_item_check(&v, NULL, all, 5, trust), 0);
	}
	assert_true(svd_verdict_ok(v));
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add(c, v, body, strlen(body)), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	svd_verdict_free(v);

	page = render_page(c, svd_manifest_id(m), NULL, body);
	assert_non_null(strstr(page, "<section id=\"verdict\">"));
	assert_non_null(strstr(page, "<strong>Accepted.</strong>"));
	assert_non_null(strstr(page, "1 file, all matching"));
	assert_non_null(strstr(page, "Signed by 2 keys"));
	assert_non_null(strstr(page, svd_pubkey_id(pk)));
	assert_non_null(strstr(page, "valid, by a trusted key"));
	assert_non_null(strstr(page, svd_pubkey_id(other_pk)));
	assert_non_null(strstr(page, "not known here (not checked"));
	assert_non_null(strstr(page, svd_manifest_id(m)));
	assert_non_null(strstr(page, "<a href=\"../index.html\">"));
	free(page);

	/* a verdict given at rendering (as the daemon does) wins: a refused item says so */
	assert_int_equal(svd_item_check(&v, NULL, e, 3, trust), 0);
	assert_false(svd_verdict_ok(v));
	page = render_page(c, svd_manifest_id(m), v, body);
	assert_non_null(strstr(page, "<strong>Not accepted.</strong>"));
	assert_non_null(strstr(page, "trust"));
	free(page);

	svd_verdict_free(v);
	svd_catalog_free(c);
	svd_sig_free(sig);
	svd_sig_free(sig2);
	free(sigtext);
	free(sigtext2);
	svd_trust_free(trust);
	svd_seckey_free(sk);
	svd_pubkey_free(pk);
	svd_seckey_free(other_sk);
	svd_pubkey_free(other_pk);
	svd_manifest_free(m);
}

/* Order, retraction and supersession across the set. */
static void test_relations(void **state)
{
	svd_manifest *old = manifest("Old news", "en", "2022-01-01", NULL, "article", NULL, NULL);
	svd_manifest *gone = manifest("Withdrawn", "fr", "2022-06-01", NULL, "article", NULL, NULL);
	svd_manifest *fix, *ret;
	svd_catalog *c = NULL;
	svd_buf b;
	char *page, *index, want[256];

	(void)state;
	fix = manifest("Corrected news", "en", "2022-02-01", NULL, "correction",
	               svd_manifest_id(old), NULL);
	ret = manifest("Retraction", "en", "2022-07-01", NULL, "retraction", NULL,
	               svd_manifest_id(gone));
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, old, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, gone, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, fix, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, ret, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, old, NULL, 0), 0); /* twice: once */
	assert_int_equal(svd_catalog_finish(c), 0);

	assert_int_equal(svd_catalog_size(c), 4);
	assert_int_equal(svd_catalog_count(c), 3);
	/* newest first */
	assert_string_equal(svd_catalog_row(c, 0), svd_manifest_id(ret));
	assert_string_equal(svd_catalog_row(c, 1), svd_manifest_id(fix));
	assert_string_equal(svd_catalog_row(c, 2), svd_manifest_id(old));
	assert_null(svd_catalog_row(c, 3));
	assert_true(svd_catalog_retracted(c, svd_manifest_id(gone)));

	/* the retracted item has no page and no row */
	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	assert_int_equal(svd_render_item(&b, c, svd_manifest_id(gone), NULL, NULL, 0),
	                 SVD_ENOTFOUND);
	svd_buf_clear(&b);
	index = render_index(c);
	assert_null(strstr(index, svd_manifest_id(gone)));
	assert_null(strstr(index, "Withdrawn"));
	snprintf(want, sizeof(want), "<tr data-n=\"1\" data-id=\"%s\"", svd_manifest_id(fix));
	assert_non_null(strstr(index, want));
	assert_non_null(
	    strstr(index, "<option value=\"correction\" dir=\"auto\">correction (1)</option>"));
	assert_non_null(strstr(index, "<option value=\"2022\" dir=\"auto\">2022 (3)</option>"));
	assert_null(strstr(index, "value=\"fr\""));
	free(index);

	/* supersession, both ways */
	page = render_page(c, svd_manifest_id(old), NULL, NULL);
	snprintf(want, sizeof(want), "Superseded by</strong> <a href=\"%s.html\"",
	         svd_manifest_id(fix));
	assert_non_null(strstr(page, want));
	free(page);
	page = render_page(c, svd_manifest_id(fix), NULL, NULL);
	snprintf(want, sizeof(want), "Supersedes</strong> <a href=\"%s.html\"",
	         svd_manifest_id(old));
	assert_non_null(strstr(page, want));
	free(page);
	page = render_page(c, svd_manifest_id(ret), NULL, NULL);
	assert_non_null(strstr(page, "Retracts</strong> <code>"));
	assert_non_null(strstr(page, "retracted; not in this library"));
	free(page);

	svd_catalog_free(c);
	svd_manifest_free(old);
	svd_manifest_free(gone);
	svd_manifest_free(fix);
	svd_manifest_free(ret);
}

/*
 * Items without "published" (their "created" is 2026-01-01): after the
 * dated one, with an empty date cell, data-year="undated" and an f-year
 * option of their own, last; nowhere the date or year of "created" as
 * theirs. Their pages say the publication date is not given, and a link
 * to one names no date.
 */
static void test_undated(void **state)
{
	svd_manifest *dated =
	    manifest("Dated news", "en", "2022-03-04", NULL, "article", NULL, NULL);
	svd_manifest *note = manifest("Undated note", "en", NULL, NULL, "article", NULL, NULL);
	svd_manifest *fix;
	svd_catalog *c = NULL;
	char *page, *index, want[512];
	const char *at;

	(void)state;
	fix = manifest("Undated fix", "en", NULL, NULL, "correction", svd_manifest_id(dated), NULL);
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, note, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, fix, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, dated, NULL, 0), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	/* the dated item first, though all three were made on one day */
	assert_string_equal(svd_catalog_row(c, 0), svd_manifest_id(dated));

	index = render_index(c);
	snprintf(want, sizeof(want),
	         "<tr data-n=\"0\" data-id=\"%s\" data-lang=\"en\" data-kind=\"article\" "
	         "data-region=\"\" data-year=\"2022\"><td>2022-03-04</td>",
	         svd_manifest_id(dated));
	assert_non_null(strstr(index, want));
	snprintf(want, sizeof(want),
	         "data-id=\"%s\" data-lang=\"en\" data-kind=\"article\" data-region=\"\" "
	         "data-year=\"undated\"><td></td>",
	         svd_manifest_id(note));
	assert_non_null(strstr(index, want));
	snprintf(want, sizeof(want),
	         "data-id=\"%s\" data-lang=\"en\" data-kind=\"correction\" data-region=\"\" "
	         "data-year=\"undated\"><td></td>",
	         svd_manifest_id(fix));
	assert_non_null(strstr(index, want));
	assert_null(strstr(index, "<td>2026-01-01</td>"));
	assert_null(strstr(index, "data-year=\"2026\""));
	assert_null(strstr(index, "value=\"2026\""));
	/* the year facet: the years, then the undated, then the end of the list */
	at = strstr(index, "<select id=\"f-year\"");
	assert_non_null(at);
	assert_non_null(strstr(at, "<option value=\"\">All years</option>\n"
	                           "<option value=\"2022\" dir=\"auto\">2022 (1)</option>\n"
	                           "<option value=\"undated\">No date (2)</option>\n"
	                           "</select>"));
	free(index);

	page = render_page(c, svd_manifest_id(note), NULL, NULL);
	assert_non_null(strstr(page, "<dt>Published</dt><dd>not given</dd>"));
	assert_non_null(
	    strstr(page, "<dt>Made by the editor</dt><dd><bdi>2026-01-01T00:00:00Z</bdi></dd>"));
	free(page);
	page = render_page(c, svd_manifest_id(dated), NULL, NULL);
	assert_non_null(strstr(page, "<dt>Published</dt><dd><bdi>2022-03-04</bdi></dd>"));
	/* superseded by the undated fix: a link, and no date of it */
	snprintf(want, sizeof(want), "Superseded by</strong> <a href=\"%s.html\" lang=\"en\">",
	         svd_manifest_id(fix));
	assert_non_null(at = strstr(page, want));
	assert_non_null(at = strstr(at, "</a>"));
	assert_false(at[4] == ' ' && at[5] == '(');
	free(page);
	page = render_page(c, svd_manifest_id(fix), NULL, NULL);
	assert_non_null(strstr(page, "</a> (2022-03-04)"));
	free(page);

	svd_catalog_free(c);
	svd_manifest_free(dated);
	svd_manifest_free(note);
	svd_manifest_free(fix);
}

/* Every case of tests/data/fold-cases.txt. */
static void test_fold_cases(void **state)
{
	char *text = th_read_fixture("fold-cases.txt", NULL), *line, *save = NULL;
	size_t cases = 0;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		svd_buf b;

		if (line[0] == '#' || !line[0])
			continue;
		assert_non_null(tab);
		*tab = '\0';
		svd_buf_init(&b, 4096);
		assert_int_equal(svd_fold(&b, line, strlen(line)), 0);
		if (strcmp(b.data ? b.data : "", tab + 1))
			fail_msg("fold(\"%s\") = \"%s\", the case says \"%s\"", line, b.data,
			         tab + 1);
		svd_buf_clear(&b);
		cases++;
	}
	assert_true(cases >= 20);
	free(text);
}

/* fold.js lists exactly the table's mappings, ASCII only. */
static void test_fold_js(void **state)
{
	svd_buf b;
	size_t i, entries = 0;

	(void)state;
	svd_buf_init(&b, 1 << 20);
	assert_int_equal(svd_render_fold_js(&b), 0);
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] < 0x80);
	for (i = 0; i + 2 < b.len; i++)
		entries += b.data[i] == '"' && b.data[i + 1] == ':' && b.data[i + 2] == '"';
	assert_int_equal(entries, svd_fold_table_len);
	assert_non_null(strstr(b.data, "svdFold({"));
	assert_non_null(strstr(b.data, "\"\\u041A\":\"\\u043A\"")); /* К → к */
	assert_non_null(strstr(b.data, "\"\\u0401\":\"\\u0435\"")); /* Ё → е */
	assert_non_null(strstr(b.data, "\"\\u03C2\":\"\\u03C3\"")); /* ς → σ */
	assert_non_null(strstr(b.data, "\"\\u0301\":\"\""));        /* a combining mark: dropped */
	assert_null(strstr(b.data, "\"\\u0457\":"));                /* ї stays */
	assert_null(strstr(b.data, "\"\\u00DF\":"));                /* ß stays */
	for (i = 1; i < svd_fold_table_len; i++)
		assert_true(svd_fold_table[i - 1].from < svd_fold_table[i].from);
	assert_int_equal(svd_fold_cp(0x0407), 0x0457);
	assert_int_equal(svd_fold_cp(0x0301), 0);
	assert_int_equal(svd_fold_cp(0x4E00), 0x4E00);
	svd_buf_clear(&b);
}

typedef struct toks {
	char v[32][200];
	size_t n;
} toks;

static int collect(const char *t, size_t len, void *payload)
{
	toks *ts = payload;

	assert_true(ts->n < 32 && len < 200);
	memcpy(ts->v[ts->n], t, len);
	ts->v[ts->n][len] = '\0';
	ts->n++;
	return 0;
}

static void test_tokens(void **state)
{
	const char *text = "Hello, WORLD! КИЇВ\xE2\x80\x94Київ x 12 ab-cd 3\xC3\x97"
	                   "4 caf\x65\xCC\x81 \xE3\x80\x81日本語 "
	                   "abcdefghijklmnopqrstuvwxyzabcdefg abcdefghijklmnopqrstuvwxyzabcdef";
	static const char *const want[] = {
	    "hello", "world", "київ", "київ",   "12",
	    "ab",    "cd",    "cafe", "日本語", "abcdefghijklmnopqrstuvwxyzabcdef"};
	toks ts = {0};
	size_t i;

	(void)state;
	assert_int_equal(svd_tokens(text, strlen(text), collect, &ts), 0);
	for (i = 0; i < ts.n; i++)
		print_message("token %zu: %s\n", i, ts.v[i]);
	assert_int_equal(ts.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < ts.n; i++)
		assert_string_equal(ts.v[i], want[i]);
	/* invalid UTF-8 ends a token, like punctuation */
	ts.n = 0;
	assert_int_equal(svd_tokens("ab\xFF"
	                            "cd",
	                            5, collect, &ts),
	                 0);
	assert_int_equal(ts.n, 2);
}

static void test_shards(void **state)
{
	(void)state;
	/* FNV-1a 32 of the first two code points' UTF-8, mod 64 (values from an independent script) */
	assert_int_equal(svd_search_shard("київ", strlen("київ")), 15);
	assert_int_equal(svd_search_shard("hello", 5), 54);
	assert_int_equal(svd_search_shard("he", 2), 54);
	assert_int_equal(svd_search_shard("αθηνα", strlen("αθηνα")), 22);
	assert_int_equal(svd_search_shard("12", 2), 42);
	assert_int_equal(svd_search_shard("日本語", strlen("日本語")), 17);
}

/* The search data: each token in its shard, with the sorted rows of the items that hold it. */
static void test_search_data(void **state)
{
	svd_manifest *a =
	    manifest("Херсон звільнено", "uk", "2022-11-11", "Оля", "article", NULL, NULL);
	svd_manifest *b =
	    manifest("Kherson is free", "en", "2022-11-12", NULL, "article", NULL, NULL);
	const char body[] = "Жителі **Херсона** `code1` https://example.org/herson\n";
	svd_catalog *c = NULL;
	svd_buf sb;
	char want[128];

	(void)state;
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, a, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(c, b, body, strlen(body)), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	/* b is newer: row 0 */
	svd_buf_init(&sb, 1 << 20);
	assert_int_equal(svd_render_shard(&sb, c, svd_search_shard("kherson", 7)), 0);
	snprintf(want, sizeof(want), "svdShard(%u, {", svd_search_shard("kherson", 7));
	assert_non_null(strstr(sb.data, want));
	assert_non_null(strstr(sb.data, "\"kherson\":[0]"));
	svd_buf_clear(&sb);
	svd_buf_init(&sb, 1 << 20);
	assert_int_equal(svd_render_shard(&sb, c, svd_search_shard("херсона", strlen("херсона"))),
	                 0);
	/* херсона, body text: \u0445\u0435... */
	assert_non_null(
	    strstr(sb.data, "\"\\u0445\\u0435\\u0440\\u0441\\u043E\\u043D\\u0430\":[0]"));
	svd_buf_clear(&sb);
	svd_buf_init(&sb, 1 << 20);
	assert_int_equal(svd_render_shard(&sb, c, svd_search_shard("оля", strlen("оля"))), 0);
	assert_non_null(strstr(sb.data, "\"\\u043E\\u043B\\u044F\":[1]")); /* the author, row 1 */
	svd_buf_clear(&sb);
	svd_buf_init(&sb, 1 << 20);
	assert_int_equal(svd_render_shard(&sb, c, svd_search_shard("code1", 5)), 0);
	assert_non_null(strstr(sb.data, "\"code1\":[0]"));
	svd_buf_clear(&sb);
	svd_buf_init(&sb, 1 << 20);
	assert_int_equal(svd_render_shard(&sb, c, 64), SVD_EINVALID);
	svd_buf_clear(&sb);
	svd_catalog_free(c);
	svd_manifest_free(a);
	svd_manifest_free(b);
}

/* The files svd_render_library hands over, kept by path (the paged library's tests). */
typedef struct lib_files {
	char **path;
	svd_buf *data;
	size_t n;
} lib_files;

static int keep_file(const char *path, const void *data, size_t len, void *payload)
{
	lib_files *f = payload;

	f->path = realloc(f->path, (f->n + 1) * sizeof(*f->path));
	f->data = realloc(f->data, (f->n + 1) * sizeof(*f->data));
	assert_non_null(f->path);
	assert_non_null(f->data);
	f->path[f->n] = strdup(path);
	svd_buf_init(&f->data[f->n], SVD_RENDER_INDEX_MAX);
	svd_buf_put(&f->data[f->n], data, len);
	svd_buf_puts(&f->data[f->n], ""); /* a terminating NUL */
	f->n++;
	return 0;
}

static int no_body(char **out, size_t *len, const char *id, void *payload)
{
	(void)id;
	(void)payload;
	*out = NULL;
	*len = 0;
	return 0;
}

static const char *lib_file(const lib_files *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->path[i], path))
			return f->data[i].data;
	return NULL;
}

static size_t lib_count(const lib_files *f, const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !strncmp(f->path[i], prefix, strlen(prefix));
	return n;
}

static void lib_free(lib_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->path[i]);
		svd_buf_clear(&f->data[i]);
	}
	free(f->path);
	free(f->data);
}

static size_t occurrences(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* A list as SPEC.md 11.5 encodes it, decoded: its rows into out (at most max); the count. */
static size_t decode_list(const char *s, size_t slen, uint32_t *out, size_t max)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	long v = -1;
	uint32_t d = 0;
	size_t i, n = 0;

	for (i = 0; i < slen; i++) {
		const char *at = strchr(digits, s[i]);
		size_t x;
		assert_non_null(at);
		x = (size_t)(at - digits);
		if (x < 32) {
			d = d * 32 + (uint32_t)x;
			continue;
		}
		v += (long)(d * 32 + (uint32_t)(x - 32)) + 1;
		if (n < max)
			out[n] = (uint32_t)v;
		n++;
		d = 0;
	}
	return n;
}

/* The two lists of key in a block's text: [key,"title","body"], each decoded. */
static void dict_entry(const char *block, const char *key, uint32_t *t, size_t *nt, uint32_t *b,
                       size_t *nb)
{
	char want[128];
	const char *at, *end;

	snprintf(want, sizeof(want), "[\"%s\",\"", key);
	at = strstr(block, want);
	assert_non_null(at);
	at += strlen(want);
	end = strchr(at, '"');
	*nt = decode_list(at, (size_t)(end - at), t, 64);
	at = end + 3; /* "," and the body list's quote */
	end = strchr(at, '"');
	*nb = decode_list(at, (size_t)(end - at), b, 64);
}

/*
 * The paged library (SPEC.md, 11.2): 1,000 items make index.html and nine
 * list pages of 100 rows, eight rows files of 128, each page with its
 * pager; index.html's size does not grow with the library; the same items
 * added in another order give the same bytes.
 */
static void test_list_pages(void **state)
{
	enum { N = 1000 };
	svd_manifest **m = calloc(N, sizeof(*m));
	svd_catalog *c = NULL, *c2 = NULL;
	lib_files f = {0}, g = {0};
	const char *index, *last, *rows;
	size_t i, small;
	char title[64], date[16], path[32];

	(void)state;
	assert_non_null(m);
	for (i = 0; i < N; i++) {
		snprintf(title, sizeof(title), "Item %zu", i);
		snprintf(date, sizeof(date), "20%02zu-%02zu-%02zu", 10 + i % 15, 1 + i % 12,
		         1 + i % 28);
		m[i] = manifest(title, i % 2 ? "uk" : "en", i == 7 ? NULL : date, NULL, "article",
		                NULL, NULL);
	}
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_new(&c2), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(svd_catalog_add_manifest(c, m[i], NULL, 0), 0);
		assert_int_equal(svd_catalog_add_manifest(c2, m[N - 1 - i], NULL, 0), 0);
	}
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_catalog_finish(c2), 0);
	assert_int_equal(svd_list_pages(c), 10);
	assert_int_equal(svd_render_library(c, no_body, NULL, 1, keep_file, &f), 0);
	assert_int_equal(svd_render_library(c2, no_body, NULL, 1, keep_file, &g), 0);

	/* index.html is page 1; list/00002.html .. list/00010.html the others */
	assert_int_equal(lib_count(&f, "list/"), 9);
	assert_non_null(lib_file(&f, "list/00002.html"));
	assert_non_null(lib_file(&f, "list/00010.html"));
	assert_null(lib_file(&f, "list/00001.html"));
	assert_null(lib_file(&f, "list/00011.html"));
	assert_int_equal(lib_count(&f, "rows/"), 8); /* 1000 rows, 128 a file */
	assert_null(lib_file(&f, "search/s00.js"));  /* the daemon's shards are not written */
	index = lib_file(&f, "index.html");
	assert_non_null(index);
	assert_int_equal(occurrences(index, "<tr data-n="), 100);
	assert_non_null(strstr(index, "<tr data-n=\"0\" "));
	assert_non_null(strstr(index, "<tr data-n=\"99\" "));
	assert_null(strstr(index, "<tr data-n=\"100\" "));
	assert_non_null(strstr(index, "<noscript>"));
	assert_non_null(strstr(index, "Search and filters need JavaScript"));
	assert_non_null(strstr(index, "<p>Page 1 of 10</p>"));
	assert_non_null(strstr(index, "<a href=\"list/00002.html\" rel=\"next\">Next</a>"));
	assert_non_null(strstr(index, "<a href=\"list/00010.html\">Last</a>"));
	assert_non_null(strstr(index, "data-rows=\"1000\" data-page=\"1\" data-pages=\"10\""));
	assert_non_null(strstr(index, "<button type=\"button\" id=\"random\">"));
	last = lib_file(&f, "list/00010.html");
	assert_int_equal(occurrences(last, "<tr data-n="), 100);
	assert_non_null(strstr(last, "<tr data-n=\"900\" "));
	assert_non_null(strstr(last, "<tr data-n=\"999\" "));
	assert_non_null(strstr(last, "<p>Page 10 of 10</p>"));
	assert_non_null(strstr(last, "<a href=\"../index.html\">First</a>"));
	assert_non_null(strstr(last, "<a href=\"00009.html\" rel=\"prev\">Previous</a>"));
	assert_non_null(strstr(last, "href=\"../pages/"));
	assert_null(strstr(last, "rel=\"next\""));
	assert_non_null(strstr(lib_file(&f, "list/00002.html"),
	                       "<a href=\"../index.html\" rel=\"prev\">Previous</a>"));
	rows = lib_file(&f, "rows/00007.js");
	assert_true(!strncmp(rows, "svdRows(7, [\n[\"", 15));
	assert_int_equal(occurrences(rows, "\n[\""), N - 7 * 128);
	/* the undated item: no date, and its year is "undated" */
	{
		char id[SVD_ID_HEX_LEN + 1], want[128];
		snprintf(id, sizeof(id), "%s", svd_manifest_id(m[7]));
		snprintf(want, sizeof(want), "[\"%s\",\"\",\"Item 7\"", id);
		for (i = 0; i < 8; i++) {
			snprintf(path, sizeof(path), "rows/%05zu.js", i);
			if (strstr(lib_file(&f, path), want))
				break;
		}
		assert_true(i < 8);
		assert_non_null(
		    strstr(lib_file(&f, "search/facets.js"), "[\"undated\",1,\"No date\"]]"));
	}

	/* the same bytes, whatever order the items came in */
	assert_int_equal(f.n, g.n);
	for (i = 0; i < f.n; i++) {
		const char *other = lib_file(&g, f.path[i]);
		assert_non_null(other);
		assert_int_equal(f.data[i].len, g.data[i].len);
		assert_string_equal(f.data[i].data, other);
	}

	/* a library of 10 items has an index.html of its rows, the same frame */
	svd_catalog_free(c2);
	c2 = NULL;
	lib_free(&g);
	memset(&g, 0, sizeof(g));
	assert_int_equal(svd_catalog_new(&c2), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(svd_catalog_add_manifest(c2, m[i], NULL, 0), 0);
	assert_int_equal(svd_catalog_finish(c2), 0);
	assert_int_equal(svd_render_library(c2, no_body, NULL, 1, keep_file, &g), 0);
	assert_int_equal(lib_count(&g, "list/"), 0);
	small = strlen(lib_file(&g, "index.html"));
	assert_true(strlen(index) < small * 12); /* 100 rows against 10, not 1000 */
	assert_non_null(strstr(lib_file(&g, "index.html"), "<p>Page 1 of 1</p>"));

	lib_free(&f);
	lib_free(&g);
	svd_catalog_free(c);
	svd_catalog_free(c2);

	/* an empty library: one page, no rows, an empty dictionary */
	memset(&f, 0, sizeof(f));
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_render_library(c, no_body, NULL, 1, keep_file, &f), 0);
	assert_non_null(strstr(lib_file(&f, "index.html"), "<p>Page 1 of 1</p>"));
	assert_int_equal(occurrences(lib_file(&f, "index.html"), "<tr data-n="), 0);
	assert_non_null(strstr(lib_file(&f, "search/dict.js"), "\"rows\": 0,"));
	assert_non_null(strstr(lib_file(&f, "search/dict.js"), "\"blocks\": [\n]"));
	assert_int_equal(
	    lib_count(&f, "rows/") + lib_count(&f, "list/") + lib_count(&f, "search/d0"), 0);
	{
		svd_buf nb;
		svd_buf_init(&nb, 1 << 20);
		assert_int_equal(svd_render_list(&nb, c, 2), SVD_ENOTFOUND);
		assert_int_equal(svd_render_list(&nb, c, 0), SVD_ENOTFOUND);
		svd_buf_clear(&nb);
	}
	lib_free(&f);
	svd_catalog_free(c);
	for (i = 0; i < N; i++)
		svd_manifest_free(m[i]);
	free(m);
}

/*
 * The dictionary (SPEC.md, 11.5): a word's rows in its title list when
 * the title or authors hold it, else in its body list; facets as keys;
 * every key in byte order, in blocks the root names; a long list in a
 * search/pNNNNN.js of its own.
 */
static void test_dictionary(void **state)
{
	enum { N = 9000 };
	svd_manifest *a =
	    manifest("Херсон звільнено", "uk", "2022-11-11", "Оля", "article", NULL, NULL);
	svd_manifest *b =
	    manifest("Kherson is free", "en", "2022-11-12", NULL, "testimony", NULL, NULL);
	svd_manifest **many = calloc(N, sizeof(*many));
	const char body[] = "Жителі **Херсона** `code1` kherson звільнено\n";
	svd_catalog *c = NULL;
	lib_files f = {0};
	uint32_t t[64], bl[64];
	size_t nt, nb, i;
	const char *d0, *root, *post;
	char title[64];

	(void)state;
	assert_non_null(many);
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_add_manifest(c, a, "Kherson, звільнено", 18), 0);
	assert_int_equal(svd_catalog_add_manifest(c, b, body, strlen(body)), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_render_library(c, no_body, NULL, 1, keep_file, &f), 0);
	/* b is newer: row 0; a row 1 */
	d0 = lib_file(&f, "search/d00000.js");
	assert_non_null(d0);
	assert_true(!strncmp(d0, "svdDict(0, [\n[\"", 15));
	dict_entry(d0, "kherson", t, &nt, bl, &nb);
	assert_int_equal(nt, 1); /* b's title */
	assert_int_equal(t[0], 0);
	assert_int_equal(nb, 1); /* a's body only */
	assert_int_equal(bl[0], 1);
	dict_entry(d0, "звільнено", t, &nt, bl, &nb);
	assert_int_equal(nt, 1); /* a's title; b's body is not listed twice */
	assert_int_equal(t[0], 1);
	assert_int_equal(nb, 1);
	assert_int_equal(bl[0], 0);
	dict_entry(d0, "оля", t, &nt, bl, &nb); /* an author's word is a title word */
	assert_int_equal(nt, 1);
	assert_int_equal(nb, 0);
	dict_entry(d0, "#lang=uk", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 1);
	dict_entry(d0, "#kind=testimony", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 0);
	dict_entry(d0, "#year=2022", t, &nt, bl, &nb);
	assert_int_equal(nt, 2);
	/* byte order: "#..." before digits before Latin before Cyrillic */
	assert_true(strstr(d0, "[\"#year=2022\"") < strstr(d0, "[\"code1\""));
	assert_true(strstr(d0, "[\"code1\"") < strstr(d0, "[\"kherson\""));
	assert_true(strstr(d0, "[\"kherson\"") < strstr(d0, "[\"херсон\""));
	assert_true(strstr(d0, "[\"херсон\"") < strstr(d0, "[\"херсона\""));
	root = lib_file(&f, "search/dict.js");
	assert_non_null(strstr(root, "\"rows\": 2,"));
	assert_non_null(strstr(root, "\"blocks\": [\n\"#kind=article\"\n]"));
	assert_non_null(
	    strstr(lib_file(&f, "search/facets.js"), "\"lang\": [\n[\"en\",1],\n[\"uk\",1]]"));
	lib_free(&f);
	svd_catalog_free(c);

	/* 9,000 items with one word: a list longer than a block takes; blocks in order */
	memset(&f, 0, sizeof(f));
	assert_int_equal(svd_catalog_new(&c), 0);
	for (i = 0; i < N; i++) {
		snprintf(title, sizeof(title), "common w%zu", i);
		many[i] = manifest(title, "en", "2020-01-01", NULL, "article", NULL, NULL);
		assert_int_equal(svd_catalog_add_manifest(c, many[i], NULL, 0), 0);
	}
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_render_library(c, no_body, NULL, 1, keep_file, &f), 0);
	root = lib_file(&f, "search/dict.js");
	assert_true(lib_count(&f, "search/d") >= 2);
	for (i = 0; i < f.n; i++) {
		/* each block starts with the key the root names for it */
		unsigned k;
		const char *key, *end;
		char want[64];
		if (sscanf(f.path[i], "search/d%5u.js", &k) != 1)
			continue;
		key = root;
		for (size_t j = 0; j <= k; j++)
			key = strchr(key, '\n') + 1;
		end = strchr(key, '\n');
		snprintf(want, sizeof(want), "svdDict(%u, [\n[%.*s,", k,
		         (int)(end - key - (key[end - key - 1] == ',')), key);
		assert_true(!strncmp(f.data[i].data, want, strlen(want)));
		assert_true(f.data[i].len < 64 * 1024);
	}
	/*
	 * every row, a byte each, in a search/pNNNNN.js of its own, numbered in
	 * key order: #kind=article, #lang=en, #year=2020, then "common"
	 */
	assert_int_equal(lib_count(&f, "search/p"), 4);
	post = lib_file(&f, "search/p00003.js");
	assert_non_null(post);
	assert_true(!strncmp(post, "svdPost(3, \"gggg", 16));
	assert_int_equal(strlen(post), strlen("svdPost(3, \"\");\n") + N);
	assert_non_null(strstr(lib_file(&f, "search/d00000.js"), "[\"#kind=article\",0,\"\"]"));
	for (i = 0; i < f.n; i++)
		if (!strncmp(f.path[i], "search/d", 8) &&
		    strstr(f.data[i].data, "[\"common\",3,\"\"]"))
			break;
	assert_true(i < f.n);
	lib_free(&f);
	svd_catalog_free(c);
	for (i = 0; i < N; i++)
		svd_manifest_free(many[i]);
	free(many);
	svd_manifest_free(a);
	svd_manifest_free(b);
}

/*
 * Near forms (SPEC.md, 11.5 to 11.7): "=" + a word's Latin form under its
 * item's scheme (or the one its letters choose), "~" + its stem by its
 * item's language's stemmer, none when the stem is the word; a row once,
 * in the title list when any of the key's words is in its title; the
 * root's "stems" (the endings cut) and "translit" (the tables).
 */
static void test_near_forms(void **state)
{
	/* rows: d (newest) 0, c 1, b 2, a 3 */
	svd_manifest *a = manifest("Київ тексти", "uk", "2022-01-01", NULL, "article", NULL, NULL);
	svd_manifest *b =
	    manifest("Тексти Херсона", "ru", "2022-01-02", NULL, "article", NULL, NULL);
	svd_manifest *c = manifest("Херсон", "ru", "2022-01-03", NULL, "article", NULL, NULL);
	svd_manifest *d = manifest("Kyiv", "en", "2022-01-04", NULL, "article", NULL, NULL);
	const char body[] = "Жители Херсону.\n";
	svd_catalog *cat = NULL;
	lib_files f = {0};
	uint32_t t[64], bl[64];
	size_t nt, nb;
	const char *d0, *root;

	(void)state;
	assert_int_equal(svd_catalog_new(&cat), 0);
	assert_int_equal(svd_catalog_add_manifest(cat, a, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(cat, b, NULL, 0), 0);
	assert_int_equal(svd_catalog_add_manifest(cat, c, body, strlen(body)), 0);
	assert_int_equal(svd_catalog_add_manifest(cat, d, NULL, 0), 0);
	assert_int_equal(svd_catalog_finish(cat), 0);
	assert_int_equal(svd_render_library(cat, no_body, NULL, 1, keep_file, &f), 0);
	d0 = lib_file(&f, "search/d00000.js");
	assert_non_null(d0);
	/* Київ holds ї: Ukrainian whatever the item; the Latin Kyiv is a key of its own */
	dict_entry(d0, "=kyiv", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 3);
	assert_int_equal(nb, 0);
	dict_entry(d0, "kyiv", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 0);
	/* тексти: teksty in the Ukrainian item, teksti in the Russian one */
	dict_entry(d0, "=teksty", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 3);
	dict_entry(d0, "=teksti", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 2);
	/* херсон, херсона, херсону: one Latin form each, both schemes alike */
	dict_entry(d0, "=kherson", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 1);
	/* the Russian stem: херсона (title of b) and херсону (body of c), c's title
	 * word херсон is its own stem (no form): c in the body list, b in the title */
	dict_entry(d0, "~херсон", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 2);
	assert_int_equal(nb, 1);
	assert_int_equal(bl[0], 1);
	/* Ukrainian has no stemmer: тексти of a is not stemmed, of b it is */
	dict_entry(d0, "~текст", t, &nt, bl, &nb);
	assert_int_equal(nt, 1);
	assert_int_equal(t[0], 2);
	assert_null(strstr(d0, "[\"~київ\""));
	assert_null(strstr(d0, "[\"~kyiv\""));
	/* in byte order: "#", "=", Latin words, "~", then Cyrillic words */
	assert_true(strstr(d0, "[\"#year=2022\"") < strstr(d0, "[\"=kherson\""));
	assert_true(strstr(d0, "[\"=teksty\"") < strstr(d0, "[\"kyiv\""));
	assert_true(strstr(d0, "[\"kyiv\"") < strstr(d0, "[\"~текст\""));
	assert_true(strstr(d0, "[\"~херсон\"") < strstr(d0, "[\"херсону\""));
	root = lib_file(&f, "search/dict.js");
	assert_non_null(strstr(root, "\"stems\": ["));
	assert_non_null(strstr(root, "[\"а\",\"\"]"));
	assert_non_null(strstr(root, "[\"у\",\"\"]"));
	assert_non_null(strstr(root, "\"translit\": {\n\"min\":2,\"max\":32,"));
	assert_true(strstr(root, "\"blocks\": [\n\"") < strstr(root, "\"stems\""));
	/* the library's reader.js ends with lex.js */
	assert_non_null(strstr(lib_file(&f, "reader.js"), "function svdStemForms("));
	lib_free(&f);
	svd_catalog_free(cat);
	svd_manifest_free(a);
	svd_manifest_free(b);
	svd_manifest_free(c);
	svd_manifest_free(d);
}

static void test_library_paths(void **state)
{
	(void)state;
	assert_true(svd_render_is_library_path("index.html"));
	assert_true(svd_render_is_library_path("reader.css"));
	assert_true(svd_render_is_library_path("reader.js"));
	assert_true(svd_render_is_library_path("search/fold.js"));
	assert_true(svd_render_is_library_path("search/s00.js"));
	assert_true(svd_render_is_library_path("search/s63.js"));
	assert_false(svd_render_is_library_path("search/s64.js"));
	assert_false(svd_render_is_library_path("search/s7.js"));
	/* the paged library's */
	assert_true(svd_render_is_library_path("search/dict.js"));
	assert_true(svd_render_is_library_path("search/facets.js"));
	assert_true(svd_render_is_library_path("search/d00000.js"));
	assert_true(svd_render_is_library_path("search/p00012.js"));
	assert_true(svd_render_is_library_path("search/d123456.js"));
	assert_true(svd_render_is_library_path("list/00002.html"));
	assert_true(svd_render_is_library_path("rows/00000.js"));
	assert_false(svd_render_is_library_path("list/0002.html"));
	assert_false(svd_render_is_library_path("list/00002.js"));
	assert_false(svd_render_is_library_path("rows/0000a.js"));
	assert_false(svd_render_is_library_path("rows/00000.js.txt"));
	assert_false(svd_render_is_library_path("search/x00000.js"));
	assert_false(svd_render_is_library_path("list/../index.html"));
	assert_true(svd_render_is_library_path(
	    "pages/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.html"));
	assert_false(svd_render_is_library_path(
	    "pages/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.html"));
	assert_false(svd_render_is_library_path("pages/../index.html"));
	assert_false(svd_render_is_library_path("index.htm"));
	assert_false(svd_render_is_library_path("BUNDLE.json"));
	assert_false(svd_render_is_library_path("items/00/x"));
}

/* The inert names of a library on disk (SPEC.md 11.1): .txt added, cut to fit, never a collision. */
static void test_library_file_name(void **state)
{
	static const uint8_t h[32];
	char out[SVD_NAME_MAX + 1], name[SVD_NAME_MAX + 1];
	char two[SVD_NAME_MAX + 1], other[SVD_NAME_MAX + 1], *k1 = NULL, *k2 = NULL;
	svd_library_names *ln = NULL;
	svd_manifest *m = NULL;

	(void)state;
	assert_true(svd_library_name_active("a.html"));
	assert_true(svd_library_name_active("A.SVG"));
	assert_true(svd_library_name_active("x.tar.XHTML"));
	assert_false(svd_library_name_active("a.html.txt"));
	assert_false(svd_library_name_active("a.js"));
	assert_false(svd_library_name_active("html"));
	assert_false(svd_library_name_active("photo.jpg"));
	/* Chromium's own table (.shtm, .xhtm), and feeds it renders as XML */
	assert_true(svd_library_name_active("a.SHTM"));
	assert_true(svd_library_name_active("a.xhtm"));
	assert_true(svd_library_name_active("a.rss"));
	assert_true(svd_library_name_active("a.rdf"));
	assert_true(svd_library_name_active("a.Atom"));
	assert_true(svd_library_name_active("a.xbl"));
	assert_false(svd_library_name_active("a.shtmx"));
	memset(name, 'n', SVD_NAME_MAX - 4);
	memcpy(name + SVD_NAME_MAX - 4, ".svg", 5);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_add_file(m, "a.html", 1, h), 0);
	assert_int_equal(svd_manifest_add_file(m, "A.HTML.TXT", 1, h), 0); /* a.html.txt by key */
	assert_int_equal(svd_manifest_add_file(m, "a.html~2.txt", 1, h), 0);
	assert_int_equal(svd_manifest_add_file(m, "b.svg", 1, h), 0);
	assert_int_equal(svd_manifest_add_file(m, "photo.jpg", 1, h), 0);
	assert_int_equal(svd_manifest_add_file(m, name, 1, h), 0);
	assert_int_equal(svd_library_file_name(out, m, "photo.jpg"), 0);
	assert_string_equal(out, "photo.jpg");
	assert_int_equal(svd_library_file_name(out, m, "b.svg"), 1);
	assert_string_equal(out, "b.svg.txt");
	assert_int_equal(svd_library_file_name(out, m, "a.html"), 1);
	assert_string_equal(out, "a.html~3.txt");
	assert_int_equal(svd_library_file_name(out, m, name), 1);
	assert_int_equal(strlen(out), SVD_NAME_MAX);
	assert_int_equal(strncmp(out, name, SVD_NAME_MAX - 4), 0);
	assert_string_equal(out + SVD_NAME_MAX - 4, ".txt");
	svd_manifest_free(m);

	/* two names alike in their first 251 bytes: one cut, two inert names */
	memset(name, 'a', 250);
	memcpy(name + 250, ".html", 6);
	memcpy(two, name, 250);
	memcpy(two + 250, ".htm", 5);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_add_file(m, name, 1, h), 0);
	assert_int_equal(svd_manifest_add_file(m, two, 1, h), 0);
	assert_int_equal(svd_library_file_name(out, m, name), 1);
	assert_int_equal(svd_library_file_name(other, m, two), 1);
	assert_int_equal(svd_manifest_path_key(&k1, out), 0);
	assert_int_equal(svd_manifest_path_key(&k2, other), 0);
	assert_string_not_equal(k1, k2);
	free(k1);
	free(k2);
	/* all at once, in the manifest's order: the .htm (sorted first) has ".txt" */
	assert_int_equal(svd_library_names_new(&ln, m), 0);
	memcpy(out, name, 250);
	memcpy(out + 250, "..txt", 6);
	assert_string_equal(svd_library_names_get(ln, two), out);
	memcpy(out + 249, "~2.txt", 7);
	assert_string_equal(svd_library_names_get(ln, name), out);
	assert_null(svd_library_names_get(ln, "other.html"));
	svd_library_names_free(ln);
	svd_manifest_free(m);
}

static void test_buf_cap(void **state)
{
	svd_buf b;

	(void)state;
	svd_buf_init(&b, 8);
	assert_int_equal(svd_buf_put(&b, "1234", 4), 0);
	assert_int_equal(svd_buf_put(&b, "56789", 5), SVD_ETOOBIG);
	assert_int_equal(svd_buf_put(&b, "x", 1), SVD_ETOOBIG); /* the failure sticks */
	assert_int_equal(b.len, 4);
	svd_buf_clear(&b);
}

static void test_assets(void **state)
{
	const void *data;
	size_t len;

	(void)state;
	assert_int_equal(svd_render_asset("reader.css", &data, &len), 0);
	assert_true(len > 0);
	assert_int_equal(svd_render_asset("reader.js", &data, &len), 0);
	assert_true(len > 0);
	assert_int_equal(svd_render_asset("../etc/passwd", &data, &len), SVD_ENOTFOUND);
}

/* The items of the compact-catalog test, looked up by id for their bodies and manifests. */
typedef struct items_by_id {
	svd_manifest **m;
	size_t n;
} items_by_id;

static long item_index(const items_by_id *ib, const char *id)
{
	size_t i;

	for (i = 0; i < ib->n; i++)
		if (!strcmp(svd_manifest_id(ib->m[i]), id))
			return (long)i;
	return -1;
}

static int item_body(char **out, size_t *len, const char *id, void *payload)
{
	long i = item_index(payload, id);
	char body[128];

	assert_true(i >= 0);
	*len =
	    (size_t)snprintf(body, sizeof(body), "Текст %ld про Херсон and ![own](photo.jpg) %s\n",
	                     i, i % 3 ? "вибухи" : "обшуки");
	*out = strdup(body);
	return *out ? 0 : SVD_ERROR;
}

static int item_manifest(svd_manifest **out, const char *id, void *payload)
{
	const items_by_id *ib = payload;
	long i = item_index(ib, id);
	size_t len;
	const char *bytes;

	assert_true(i >= 0);
	bytes = svd_manifest_bytes(ib->m[i], &len);
	return svd_manifest_parse(out, bytes, len);
}

/*
 * A compact catalog (svd_catalog_set_compact: the daemon's and unpack's)
 * makes the very library a whole one does, its rows from the view and
 * its pages from manifests read again (mf); it keeps no manifest, spills
 * each manifest's bytes and gives them back whole; it renders no page
 * from its own, and is made compact only while empty.
 */
static void test_compact_catalog(void **state)
{
	enum { N = 300 };
	svd_manifest **m = calloc(N, sizeof(*m));
	svd_catalog *c = NULL, *k = NULL;
	lib_files f = {0}, g = {0};
	items_by_id ib = {m, N};
	char title[64], date[16], path[] = "/tmp/svd-spill-XXXXXX";
	size_t i, len, blen;
	svd_buf b;
	int fd;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < N; i++) {
		snprintf(title, sizeof(title), "Звіт %zu з Херсона", i);
		snprintf(date, sizeof(date), "20%02zu-%02zu-%02zu", 10 + i % 15, 1 + i % 12,
		         1 + i % 28);
		m[i] = manifest(title, i % 2 ? "uk" : "en", i % 7 ? date : NULL,
		                i % 5 ? "Олена" : NULL, i == 10 ? "correction" : "article",
		                i == 10 ? svd_manifest_id(m[3]) : NULL, NULL);
	}
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_new(&k), 0);
	assert_int_equal(svd_catalog_set_compact(k, fd), 0);
	for (i = 0; i < N; i++) {
		char *body;
		assert_int_equal(item_body(&body, &len, svd_manifest_id(m[i]), &ib), 0);
		assert_int_equal(svd_catalog_add_manifest(c, m[i], body, len), 0);
		assert_int_equal(svd_catalog_add_manifest(k, m[i], body, len), 0);
		free(body);
	}
	assert_int_equal(svd_catalog_set_compact(c, -1), SVD_EINVALID); /* it has items */
	/* the bytes, back from the spill */
	svd_buf_init(&b, SVD_MANIFEST_MAX + 1);
	for (i = 0; i < N; i++) {
		const char *want = svd_manifest_bytes(m[i], &len);
		long t = svd_catalog_find(k, svd_manifest_id(m[i]));
		const char *got;
		assert_true(t >= 0);
		assert_null(k->v[t].m); /* its row is the view's */
		got = svd_catalog_manifest_bytes(k, &k->v[t], &b, &blen);
		assert_non_null(got);
		assert_int_equal(blen, len);
		assert_memory_equal(got, want, len);
	}
	svd_buf_clear(&b);
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_catalog_finish(k), 0);
	assert_int_equal(svd_render_library(c, item_body, &ib, 1, keep_file, &f), 0);
	assert_int_equal(
	    svd_render_library_ex(k, item_body, item_manifest, &ib, 1, 0, keep_file, &g), 0);
	assert_int_equal(f.n, g.n);
	assert_int_equal(lib_count(&f, "pages/"), N);
	for (i = 0; i < f.n; i++) {
		assert_string_equal(f.path[i], g.path[i]);
		assert_int_equal(f.data[i].len, g.data[i].len);
		assert_memory_equal(f.data[i].data, g.data[i].data, f.data[i].len);
	}
	/* a page from the compact catalog's own manifest would have lost its files */
	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	assert_int_equal(svd_render_item(&b, k, svd_manifest_id(m[0]), NULL, NULL, 0),
	                 SVD_EINVALID);
	th_expect_msg("let go of its manifests");
	assert_int_equal(svd_render_library(k, item_body, &ib, 1, keep_file, &g), SVD_EINVALID);
	svd_buf_clear(&b);
	lib_free(&f);
	lib_free(&g);
	svd_catalog_free(c);
	svd_catalog_free(k);
	for (i = 0; i < N; i++)
		svd_manifest_free(m[i]);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_text),    cmocka_unit_test(test_bidi_text),
	    cmocka_unit_test(test_verdict),         cmocka_unit_test(test_relations),
	    cmocka_unit_test(test_fold_cases),      cmocka_unit_test(test_fold_js),
	    cmocka_unit_test(test_tokens),          cmocka_unit_test(test_shards),
	    cmocka_unit_test(test_search_data),     cmocka_unit_test(test_list_pages),
	    cmocka_unit_test(test_dictionary),      cmocka_unit_test(test_near_forms),
	    cmocka_unit_test(test_library_paths),   cmocka_unit_test(test_library_file_name),
	    cmocka_unit_test(test_buf_cap),         cmocka_unit_test(test_assets),
	    cmocka_unit_test(test_title_once),      cmocka_unit_test(test_undated),
	    cmocka_unit_test(test_compact_catalog),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
