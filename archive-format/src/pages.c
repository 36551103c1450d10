/*
 * pages.c: the reader library's pages (SPEC.md, 11.2) — index.html with
 * its filters, and pages/<id>.html: an item's fields, body, files, verdict
 * and relations; and the library's fixed files (the embedded assets, which
 * paths are the library's). Everything an item says is untrusted and goes
 * through svd_buf_html() or cmark's safe renderer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>

#include "samvydav/render.h"
#include "catalog_internal.h"
#include "library_paths.h"
#include "render_internal.h"
#include "util.h"

static void html(svd_buf *b, const char *s)
{
	if (s)
		svd_buf_html(b, s, strlen(s));
}

/*
 * Text from outside as an element's content: isolated in <bdi>, so that
 * its direction (right-to-left or not) stays inside and neither turns the
 * text around it nor is turned by it (SPEC.md, 13); the controls that
 * could do more are gone already (svd_buf_html()).
 */
static void text(svd_buf *b, const char *s)
{
	if (!s)
		return;
	svd_buf_puts(b, "<bdi>");
	html(b, s);
	svd_buf_puts(b, "</bdi>");
}

/* Pages. */

static void page_head(svd_buf *b, const char *lang, const char *title, const char *up)
{
	svd_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
	html(b, lang);
	svd_buf_puts(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	html(b, title);
	svd_buf_printf(b, "</title>\n<link rel=\"stylesheet\" href=\"%sreader.css\">\n", up);
}

/*
 * One facet: the distinct values of the shown items, with counts, as
 * <option>s. A row's fields are the view's (svd_catalog_row_item): the
 * catalog may hold no manifests by then.
 */
typedef const char *(*facet_fn)(const citem *it, const svd_view_item *vi);

static const char *f_lang(const citem *it, const svd_view_item *vi)
{
	(void)it;
	return vi->lang;
}

static const char *f_kind(const citem *it, const svd_view_item *vi)
{
	(void)it;
	return svd_kind_name(vi->kind);
}

static const char *f_region(const citem *it, const svd_view_item *vi)
{
	(void)it;
	return vi->region;
}

/* An undated item has no year here: facet() counts it under SVD_YEAR_UNDATED. */
static const char *f_year(const citem *it, const svd_view_item *vi)
{
	(void)vi;
	return it->year[0] ? it->year : NULL;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_str_desc(const void *x, const void *y)
{
	return -cmp_str(x, y);
}

/*
 * none_value, when not NULL: the items fn gives no value for get one option
 * of their own, that value labelled none_label, after all the others.
 */
static void facet(svd_buf *b, const svd_catalog *c, const char *sel, const char *label, facet_fn fn,
                  int newest_first, const char *none_value, const char *none_label)
{
	const char **v = malloc((c->nrows + 1) * sizeof(*v));
	size_t i, n = 0;

	if (!v) {
		if (!b->error)
			b->error = svd_error_set(SVD_ERROR, "out of memory");
		return;
	}
	for (i = 0; i < c->nrows; i++) {
		svd_view_item vi;
		const char *s = fn(&c->v[c->rows[i]], svd_catalog_row_item(&vi, c, i));
		if (s)
			v[n++] = s;
	}
	qsort(v, n, sizeof(*v), newest_first ? cmp_str_desc : cmp_str);
	svd_buf_printf(b, "<select id=\"%s\" aria-label=\"%s\">\n<option value=\"\">%s</option>\n",
	               sel, label, label);
	for (i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(v[j], v[i]))
			j++;
		svd_buf_puts(b, "<option value=\"");
		html(b, v[i]);
		svd_buf_puts(b, "\" dir=\"auto\">");
		html(b, v[i]);
		svd_buf_printf(b, " (%zu)</option>\n", j - i);
		i = j;
	}
	if (none_value && n < c->nrows)
		svd_buf_printf(b, "<option value=\"%s\">%s (%zu)</option>\n", none_value,
		               none_label, c->nrows - n);
	svd_buf_puts(b, "</select>\n");
	free(v);
}

/* The authors of a view's row (each ended by SVD_VIEW_LIST_END), as authors() writes them. */
static void row_authors(svd_buf *b, const char *a)
{
	const char *end;

	for (; a && *a; a = end + 1) {
		if (!(end = strchr(a, SVD_VIEW_LIST_END)))
			end = a + strlen(a); /* the view ends each one: never */
		svd_buf_puts(b, "<bdi>");
		svd_buf_html(b, a, (size_t)(end - a));
		svd_buf_puts(b, "</bdi>");
		if (!*end || !end[1])
			break;
		svd_buf_puts(b, ", ");
	}
}

static void authors(svd_buf *b, const svd_manifest *m)
{
	size_t i;

	for (i = 0; i < svd_manifest_author_count(m); i++) {
		if (i)
			svd_buf_puts(b, ", ");
		text(b, svd_manifest_author(m, i));
	}
}

/* A row's cells after its date, both indexes alike: title (a link to its page), authors, language, kind, region. */
static void row_cells(svd_buf *b, const citem *it, const svd_view_item *vi, const char *up,
                      const char *lang, const char *title, const char *kind, const char *region)
{
	svd_buf_printf(b, "<a href=\"%spages/%s.html\" lang=\"", up, it->id);
	html(b, lang);
	svd_buf_puts(b, "\">");
	text(b, title && *title ? title : it->id);
	svd_buf_puts(b, "</a></td><td>");
	row_authors(b, vi->authors);
	svd_buf_puts(b, "</td><td>");
	text(b, lang);
	svd_buf_printf(b, "</td><td>%s</td><td>", kind);
	text(b, region);
	svd_buf_puts(b, "</td></tr>\n");
}

/* The head of an index (the one-page index and the paged one's first page): what it is, trust as of. */
static void index_head(svd_buf *b, const svd_catalog *c)
{
	page_head(b, "mul", "Library", "");
	/* reader.js first: it defines svdFold(), which fold.js calls */
	svd_buf_puts(b, "<script src=\"reader.js\" defer></script>"
	                "<script src=\"search/fold.js\" defer></script>\n"
	                "</head>\n<body class=\"index\">\n<header>\n<h1>Library</h1>\n");
	svd_buf_printf(b,
	               "<p>%zu item%s. Each was checked when this library was made: its files "
	               "match their SHA-256 hashes and it is signed by a trusted editor's key. "
	               "Each item's page says by whom.</p>\n",
	               c->nrows, c->nrows == 1 ? "" : "s");
	if (svd_view_trust_date(c->view)[0])
		svd_buf_printf(b,
		               "<p id=\"trust-as-of\">Trust as of %s: the newest statement "
		               "by a root key (certifying or revoking editors' keys) that "
		               "this library was made with. A key lost since then may not be "
		               "revoked here yet.</p>\n",
		               svd_view_trust_date(c->view));
	svd_buf_puts(b, "</header>\n");
}

int svd_render_index(svd_buf *b, const svd_catalog *c)
{
	size_t i;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	index_head(b, c);
	svd_buf_puts(b, "<form id=\"filters\" hidden role=\"search\">\n"
	                "<input id=\"q\" type=\"search\" placeholder=\"Search titles, authors "
	                "and text\" aria-label=\"Search\">\n");
	facet(b, c, "f-lang", "All languages", f_lang, 0, NULL, NULL);
	facet(b, c, "f-kind", "All kinds", f_kind, 0, NULL, NULL);
	facet(b, c, "f-region", "All regions", f_region, 0, NULL, NULL);
	facet(b, c, "f-year", "All years", f_year, 1, SVD_YEAR_UNDATED, "No date");
	svd_buf_printf(b, "<p id=\"count\">%zu item%s</p>\n</form>\n", c->nrows,
	               c->nrows == 1 ? "" : "s");
	svd_buf_puts(b, "<table id=\"items\">\n<thead><tr><th>Date</th><th>Title</th>"
	                "<th>Authors</th><th>Language</th><th>Kind</th><th>Region</th></tr>"
	                "</thead>\n<tbody>\n");
	for (i = 0; i < c->nrows && !b->error; i++) {
		const citem *it = &c->v[c->rows[i]];
		svd_view_item vi;
		const svd_view_item *row = svd_catalog_row_item(&vi, c, i);
		const char *lang = row->lang;
		const char *region = row->region;
		const char *title = row->title;
		const char *kind = svd_kind_name(row->kind);

		svd_buf_printf(b, "<tr data-n=\"%zu\" data-id=\"%s\" data-lang=\"", i, it->id);
		html(b, lang);
		svd_buf_printf(b, "\" data-kind=\"%s\" data-region=\"", kind);
		html(b, region);
		/* undated: no date in the cell, and a year of its own */
		svd_buf_printf(b, "\" data-year=\"%s\"><td>%s</td><td>",
		               it->year[0] ? it->year : SVD_YEAR_UNDATED, it->date);
		row_cells(b, it, row, "", lang, title, kind, region);
	}
	svd_buf_puts(b, "</tbody>\n</table>\n<footer>\n<p>Made by samvydav " SVD_VERSION
	                ". Every file is in <code>items/</code>; to check an item yourself, see "
	                "its page.</p>\n</footer>\n</body>\n</html>\n");
	return b->error;
}

/*
 * The paged library (SPEC.md, 11.2): index.html is page 1, list/NNNNN.html
 * the others, each SVD_LIST_ROWS rows in the one order with a pager, so
 * that a reader without JavaScript goes through the whole library and
 * index.html stays the same size whatever the library's.
 */

size_t svd_list_pages(const svd_catalog *c)
{
	return c->nrows ? (c->nrows + SVD_LIST_ROWS - 1) / SVD_LIST_ROWS : 1;
}

/* The link to page p from page from: index.html is page 1, at the top. */
static void page_href(svd_buf *b, size_t from, size_t p)
{
	if (p == 1)
		svd_buf_puts(b, from == 1 ? "index.html" : "../index.html");
	else
		svd_buf_printf(b, from == 1 ? "list/%05zu.html" : "%05zu.html", p);
}

static void pager_link(svd_buf *b, size_t from, size_t p, const char *rel, const char *label)
{
	svd_buf_puts(b, "<a href=\"");
	page_href(b, from, p);
	svd_buf_puts(b, "\"");
	if (rel)
		svd_buf_printf(b, " rel=\"%s\"", rel);
	svd_buf_printf(b, ">%s</a>\n", label);
}

/* First, previous, two numbers either side, next, last; and "page N of K". */
static void pager(svd_buf *b, const svd_catalog *c, size_t p)
{
	size_t k = svd_list_pages(c), i, lo = p > 2 ? p - 2 : 1, hi = p + 2 < k ? p + 2 : k;

	svd_buf_printf(b, "<nav class=\"pager\" aria-label=\"Pages\">\n<p>Page %zu of %zu</p>\n", p,
	               k);
	if (p > 1) {
		pager_link(b, p, 1, NULL, "First");
		pager_link(b, p, p - 1, "prev", "Previous");
	}
	for (i = lo; i <= hi; i++) {
		char num[24];
		if (i == p) {
			svd_buf_printf(b, "<span aria-current=\"page\">%zu</span>\n", i);
			continue;
		}
		snprintf(num, sizeof(num), "%zu", i);
		pager_link(b, p, i, NULL, num);
	}
	if (p < k) {
		pager_link(b, p, p + 1, "next", "Next");
		pager_link(b, p, k, NULL, "Last");
	}
	svd_buf_puts(b, "</nav>\n");
}

/* The rows of page p, with links from where the page is (up: "" or "../"). */
static void list_rows(svd_buf *b, const svd_catalog *c, size_t p, const char *up)
{
	size_t i, end = p * SVD_LIST_ROWS < c->nrows ? p * SVD_LIST_ROWS : c->nrows;

	svd_buf_printf(b,
	               "<table id=\"items\" data-rows=\"%zu\" data-page=\"%zu\" "
	               "data-pages=\"%zu\">\n<thead><tr><th>Date</th><th>Title</th>"
	               "<th>Authors</th><th>Language</th><th>Kind</th><th>Region</th></tr>"
	               "</thead>\n<tbody>\n",
	               c->nrows, p, svd_list_pages(c));
	for (i = (p - 1) * SVD_LIST_ROWS; i < end && !b->error; i++) {
		const citem *it = &c->v[c->rows[i]];
		svd_view_item vi;
		const svd_view_item *row = svd_catalog_row_item(&vi, c, i);

		svd_buf_printf(b, "<tr data-n=\"%zu\" data-id=\"%s\"><td>", i, it->id);
		svd_buf_html(b, row->date, strnlen(row->date, 10));
		svd_buf_puts(b, "</td><td>");
		row_cells(b, it, row, up, row->lang, row->title, svd_kind_name(row->kind),
		          row->region);
	}
	svd_buf_puts(b, "</tbody>\n</table>\n");
}

static void list_footer(svd_buf *b)
{
	svd_buf_puts(b, "<footer>\n<p>Made by samvydav " SVD_VERSION
	                ". Every file is in <code>items/</code>; to check an item yourself, see "
	                "its page.</p>\n</footer>\n</body>\n</html>\n");
}

int svd_render_list(svd_buf *b, const svd_catalog *c, size_t p)
{
	size_t k;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	k = svd_list_pages(c);
	if (p < 1 || p > k)
		return svd_error_set(SVD_ENOTFOUND, "no list page %zu (1 to %zu)", p, k);
	if (p > 1) {
		char title[64];
		snprintf(title, sizeof(title), "Library, page %zu of %zu", p, k);
		page_head(b, "mul", title, "../");
		svd_buf_printf(b,
		               "</head>\n<body class=\"index list\">\n<header>\n<p><a "
		               "href=\"../index.html\">Library</a></p>\n<h1>Page %zu of %zu</h1>\n"
		               "<p>%zu item%s, newest first.</p>\n</header>\n",
		               p, k, c->nrows, c->nrows == 1 ? "" : "s");
		pager(b, c, p);
		list_rows(b, c, p, "../");
		pager(b, c, p);
		list_footer(b);
		return b->error;
	}
	index_head(b, c);
	svd_buf_printf(b,
	               "<noscript><p id=\"noscript\">Search and filters need JavaScript, which "
	               "is off. The list shows %u items a page, newest first: the page links "
	               "below it go through the whole library.</p></noscript>\n",
	               SVD_LIST_ROWS);
	/* the selects' options come from search/facets.js: the same size whatever the library */
	svd_buf_puts(
	    b, "<form id=\"filters\" hidden role=\"search\">\n"
	       "<input id=\"q\" type=\"search\" placeholder=\"Search titles, authors and text\" "
	       "aria-label=\"Search\" autocomplete=\"off\" aria-controls=\"suggest\">\n"
	       "<select id=\"f-lang\" aria-label=\"All languages\"><option value=\"\">All "
	       "languages</option></select>\n"
	       "<select id=\"f-kind\" aria-label=\"All kinds\"><option value=\"\">All "
	       "kinds</option></select>\n"
	       "<select id=\"f-region\" aria-label=\"All regions\"><option value=\"\">All "
	       "regions</option></select>\n"
	       "<select id=\"f-year\" aria-label=\"All years\"><option value=\"\">All "
	       "years</option></select>\n"
	       "<button type=\"button\" id=\"random\">Random item</button>\n");
	svd_buf_printf(b,
	               "<ul id=\"suggest\" hidden aria-label=\"Titles\"></ul>\n"
	               "<p id=\"count\">%zu item%s</p>\n</form>\n",
	               c->nrows, c->nrows == 1 ? "" : "s");
	list_rows(b, c, 1, "");
	svd_buf_puts(b,
	             "<p id=\"more\" hidden><button type=\"button\">More results</button></p>\n");
	pager(b, c, 1);
	list_footer(b);
	return b->error;
}

/* Attachments. */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

static int any_suffix(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (ends_with(s, *list))
			return 1;
	return 0;
}

static const char *const image_ext[] = {".jpg",  ".jpeg", ".png", ".gif", ".webp",
                                        ".avif", ".svg",  ".bmp", NULL};
static const char *const audio_ext[] = {".mp3", ".ogg",  ".oga", ".opus", ".wav",
                                        ".m4a", ".flac", ".aac", NULL};
static const char *const video_ext[] = {".mp4", ".webm", ".ogv", ".m4v", ".mov", NULL};

/*
 * ../items/<aa>/<id>/<file>, the file name percent-encoded: in a library on
 * disk (ln, the item's names there, when it->links is SVD_LINKS_INERT), the
 * name unpack wrote the file under (an active type as text).
 */
static void file_href(svd_buf *b, const citem *it, const svd_library_names *ln, const char *name)
{
	const char *disk = NULL;

	if (it->links == SVD_LINKS_INERT && !(disk = svd_library_names_get(ln, name))) {
		if (!b->error)
			b->error = SVD_ERROR; /* never the active name instead */
		return;
	}
	if (disk)
		name = disk;
	svd_buf_printf(b, "../items/%.2s/%s/", it->id, it->id);
	svd_buf_url(b, name);
}

/* A link to a file that a browser would run from file:// is left out (SVD_LINKS_NONE). */
static int unlinked(const citem *it, const char *name)
{
	return it->links == SVD_LINKS_NONE && svd_library_name_active(name);
}

static void attachments(svd_buf *b, const citem *it, const svd_library_names *ln)
{
	size_t i, n = svd_manifest_file_count(it->m), shown = 0;

	for (i = 0; i < n; i++) {
		const svd_manifest_file *f = svd_manifest_file_at(it->m, i);
		if (!strcmp(f->path, "body.md"))
			continue;
		if (!shown++)
			svd_buf_puts(b, "<section id=\"attachments\">\n<h2>Attachments</h2>\n");
		svd_buf_puts(b, "<figure>\n");
		if (it->links != SVD_LINKS_DIRECT && svd_library_name_active(f->path)) {
			/* an HTML or SVG file opened from disk would run its scripts */
			svd_buf_puts(b, "<figcaption>");
			if (unlinked(it, f->path)) {
				html(b, f->path);
				svd_buf_printf(
				    b,
				    " (%llu bytes), not linked: opened from disk, an HTML or "
				    "SVG file would run its scripts. It is <code>items/%.2s/%s/",
				    (unsigned long long)f->size, it->id, it->id);
				html(b, f->path);
				svd_buf_puts(b, "</code>: open it in a text editor.");
			} else {
				svd_buf_puts(b, "<a href=\"");
				file_href(b, it, ln, f->path);
				svd_buf_puts(b, "\">");
				html(b, f->path);
				svd_buf_printf(
				    b,
				    "</a> (%llu bytes), as text: opened from disk, an HTML or "
				    "SVG file would run its scripts, so the library holds it as "
				    "<code>",
				    (unsigned long long)f->size);
				html(b, svd_library_names_at(ln, i));
				svd_buf_puts(b, "</code>, the same bytes.");
			}
			svd_buf_puts(b, "</figcaption>\n</figure>\n");
			continue;
		}
		if (any_suffix(f->path, image_ext)) {
			svd_buf_puts(b, "<img src=\"");
			file_href(b, it, ln, f->path);
			svd_buf_puts(b, "\" alt=\"");
			html(b, f->path);
			svd_buf_puts(b, "\" loading=\"lazy\">\n");
		} else if (any_suffix(f->path, audio_ext)) {
			svd_buf_puts(b, "<audio controls preload=\"none\" src=\"");
			file_href(b, it, ln, f->path);
			svd_buf_puts(b, "\"></audio>\n");
		} else if (any_suffix(f->path, video_ext)) {
			svd_buf_puts(b, "<video controls preload=\"none\" src=\"");
			file_href(b, it, ln, f->path);
			svd_buf_puts(b, "\"></video>\n");
		}
		svd_buf_puts(b, "<figcaption><a href=\"");
		file_href(b, it, ln, f->path);
		svd_buf_puts(b, "\">");
		text(b, f->path);
		svd_buf_printf(b, "</a> (%llu bytes)</figcaption>\n</figure>\n",
		               (unsigned long long)f->size);
	}
	if (shown)
		svd_buf_puts(b, "</section>\n");
}

static int ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* a and b hold the same words: white space at the ends and inside runs aside */
static int same_words(const char *a, const char *b)
{
	for (;;) {
		while (ascii_space(*a))
			a++;
		while (ascii_space(*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && !ascii_space(*a) && *a == *b)
			a++, b++;
		if ((*a && !ascii_space(*a)) || (*b && !ascii_space(*b)))
			return 0;
	}
}

/*
 * A body that opens with its own "# Title" would show the title twice, under
 * the page's <h1>: that first heading is left out when its text is the
 * title (white space aside). Any other first block stays.
 */
static void drop_title_heading(cmark_node *doc, const char *title)
{
	cmark_node *h = cmark_node_first_child(doc);
	cmark_iter *iter;
	cmark_event_type ev;
	svd_buf text;

	if (!title || !*title || !h || cmark_node_get_type(h) != CMARK_NODE_HEADING ||
	    cmark_node_get_heading_level(h) != 1 || !(iter = cmark_iter_new(h)))
		return;
	svd_buf_init(&text, SVD_RENDER_PAGE_MAX);
	svd_buf_puts(&text, "");
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(iter);
		cmark_node_type t = cmark_node_get_type(node);
		const char *lit;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			svd_buf_puts(&text, " ");
		else if ((t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE) &&
		         (lit = cmark_node_get_literal(node)))
			svd_buf_puts(&text, lit);
	}
	cmark_iter_free(iter);
	if (!text.error && same_words(text.data, title)) {
		cmark_node_unlink(h);
		cmark_node_free(h);
	}
	svd_buf_clear(&text);
}

/*
 * Markdown to HTML with cmark's safe defaults (raw HTML omitted, dangerous
 * URLs blanked). Links and images that name one of the item's own files
 * are pointed at it; an image from anywhere else becomes a plain link, so
 * that opening a page never fetches anything from outside the library. A
 * first heading that repeats the title is left out (drop_title_heading).
 * doc is the body already parsed (body_parse), or NULL; it is freed.
 */
static void markdown(svd_buf *b, const citem *it, const svd_library_names *ln, const char *body,
                     size_t len, cmark_node *doc)
{
	cmark_node *node;
	cmark_iter *iter;
	cmark_event_type ev;
	cmark_node **images = NULL;
	size_t nimages = 0, capimages = 0, i, shown = svd_body_shown(body, len);
	char *out;
	svd_buf href;

	if (!doc && !(doc = svd_body_parse(body, len))) {
		svd_buf_puts(b, "<p>The text cannot be shown.</p>\n");
		return;
	}
	drop_title_heading(doc, svd_manifest_get(it->m, "title"));
	svd_buf_init(&href, 4096);
	iter = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node_type t;
		const char *url;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		node = cmark_iter_get_node(iter);
		t = cmark_node_get_type(node);
		if (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)
			continue;
		url = cmark_node_get_url(node);
		if (url && *url && unlinked(it, url) && svd_manifest_file_find(it->m, url)) {
			cmark_node_set_url(node, "");
		} else if (url && *url && svd_manifest_file_find(it->m, url) &&
		           strcmp(url, "manifest.json")) {
			href.len = 0;
			href.error = 0;
			file_href(&href, it, ln, url);
			if (!href.error)
				cmark_node_set_url(node, href.data);
		} else if (t == CMARK_NODE_IMAGE) {
			if (svd_grow(&images, &capimages, nimages + 1, sizeof(*images), 8) < 0)
				break;
			images[nimages++] = node;
		}
	}
	cmark_iter_free(iter);
	svd_buf_clear(&href);
	/* after the walk: outside images become links with the same text */
	for (i = 0; i < nimages; i++) {
		cmark_node *img = images[i], *link = cmark_node_new(CMARK_NODE_LINK), *child;
		if (!link)
			continue;
		cmark_node_set_url(link, cmark_node_get_url(img));
		while ((child = cmark_node_first_child(img)))
			cmark_node_append_child(link, child);
		if (!cmark_node_first_child(link)) {
			cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);
			if (text) {
				cmark_node_set_literal(text, "[image]");
				cmark_node_append_child(link, text);
			}
		}
		cmark_node_replace(img, link);
		cmark_node_free(img);
	}
	free(images);
	out = cmark_render_html(doc, CMARK_OPT_DEFAULT);
	cmark_node_free(doc);
	if (out) {
		svd_buf_puts(b, out);
		free(out);
	}
	if (shown < len) {
		/* len is what was read (one byte past the cap, to see there is more): the
		 * size is the manifest's, which the gate checked against the file */
		const svd_manifest_file *f = svd_manifest_file_find(it->m, "body.md");
		svd_buf_printf(b, "<p class=\"cut\">The text goes on: <a href=\"");
		file_href(b, it, ln, "body.md");
		svd_buf_printf(b, "\">all of body.md</a> (%llu bytes).</p>\n",
		               (unsigned long long)(f ? f->size : len));
	}
}

static const char *sig_words(svd_sig_status st)
{
	switch (st) {
	case SVD_SIG_VALID:
		return "valid, by a trusted key";
	case SVD_SIG_UNTRUSTED:
		return "valid, by a key that was not trusted (does not count)";
	case SVD_SIG_INVALID:
		return "INVALID";
	case SVD_SIG_UNCHECKED:
		return "by a key not known here (not checked, does not count)";
	}
	return "?";
}

/* One of the signatures that verify is by a key the view counts (certified by roots). */
static int counted_signer(const citem *it, const svd_verdict *v, const svd_view_item *vi)
{
	size_t i, n = v ? svd_verdict_sig_count(v) : it->nsigs;

	for (i = 0; i < n; i++) {
		const char *keyid;
		int verified;
		if (v) {
			svd_verdict_sig(v, i, &keyid, NULL);
			verified = svd_verdict_sig_pk(v, i) != NULL;
		} else {
			keyid = it->sigs[i].keyid;
			verified = it->sigs[i].verified;
		}
		if (verified && svd_keyid_valid(keyid) && strstr(vi->signers, keyid))
			return 1;
	}
	return 0;
}

/*
 * The item's verification, as the page was made. With a view (vi), what
 * counts is the view's: an editor's key that roots certified counts though
 * the trust list does not hold it (SPEC 7.3), so the item is accepted and
 * its signature says so.
 */
static void verdict_block(svd_buf *b, const citem *it, const svd_verdict *v,
                          const svd_view_item *vi)
{
	size_t i, nsigs, nproblems, nfiles = svd_manifest_file_count(it->m);
	int checked = v ? 1 : it->checked, ok = v ? svd_verdict_ok(v) : it->ok;
	int certified = 0;

	if (vi && vi->state == SVD_VIEW_SHOWN && !ok && (v ? svd_verdict_sound(v) : it->sound))
		certified = counted_signer(it, v, vi);
	ok = ok || certified;

	svd_buf_puts(b, "<section id=\"verdict\">\n<h2>Verification</h2>\n");
	if (!checked)
		svd_buf_puts(b,
		             "<p class=\"unchecked\"><strong>Not checked.</strong> This page "
		             "was made without checking the item's hashes and signatures.</p>\n");
	else if (ok)
		svd_buf_printf(b,
		               "<p class=\"ok\"><strong>Accepted.</strong> When this page was "
		               "made, every file's SHA-256 was checked against the manifest (%zu "
		               "file%s, all matching) and the item is signed by at least one "
		               "%s key.</p>\n",
		               nfiles, nfiles == 1 ? "" : "s",
		               certified ? "key that root keys trusted here certified" : "trusted");
	else
		svd_buf_puts(b, "<p class=\"bad\"><strong>Not accepted.</strong> This item did "
		                "not pass the checks: do not rely on it.</p>\n");
	nproblems = certified ? 0 : v ? svd_verdict_problem_count(v) : it->nproblems;
	if (nproblems) {
		svd_buf_puts(b, "<ul class=\"problems\">\n");
		for (i = 0; i < nproblems; i++) {
			svd_buf_puts(b, "<li>");
			if (v) {
				const char *file, *check, *msg;
				svd_verdict_problem(v, i, &file, &check, &msg);
				text(b, file);
				svd_buf_puts(b, ": ");
				html(b, check);
				svd_buf_puts(b, ": ");
				text(b, msg);
			} else {
				text(b, it->problems[i]);
			}
			svd_buf_puts(b, "</li>\n");
		}
		svd_buf_puts(b, "</ul>\n");
	}
	nsigs = v ? svd_verdict_sig_count(v) : it->nsigs;
	if (checked) {
		svd_buf_printf(b, "<p>Signed by %zu key%s:</p>\n<ul class=\"signatures\">\n", nsigs,
		               nsigs == 1 ? "" : "s");
		for (i = 0; i < nsigs; i++) {
			const char *keyid;
			svd_sig_status st;
			if (v)
				svd_verdict_sig(v, i, &keyid, &st);
			else {
				keyid = it->sigs[i].keyid;
				st = it->sigs[i].st;
			}
			if (st == SVD_SIG_UNTRUSTED && vi && svd_keyid_valid(keyid) &&
			    strstr(vi->signers, keyid))
				st = SVD_SIG_VALID; /* certified: it counts here */
			svd_buf_printf(b, "<li class=\"%s\">", st == SVD_SIG_VALID ? "ok" : "bad");
			if (svd_keyid_valid(keyid)) {
				svd_buf_printf(
				    b,
				    "<a "
				    "href=\"../items/%.2s/%s/sig/%s.minisig\"><code>%s</code></a>",
				    it->id, it->id, keyid, keyid);
			} else {
				svd_buf_puts(b, "<code>");
				text(b, keyid);
				svd_buf_puts(b, "</code>");
			}
			svd_buf_printf(b, ": %s</li>\n", sig_words(st));
		}
		svd_buf_puts(b, "</ul>\n");
	}
	if (!v && it->ndropped) {
		svd_buf_puts(
		    b, "<p>Signature files left out because they did not verify:</p>\n<ul>\n");
		for (i = 0; i < it->ndropped; i++) {
			svd_buf_puts(b, "<li>");
			text(b, it->dropped[i]);
			svd_buf_puts(b, "</li>\n");
		}
		svd_buf_puts(b, "</ul>\n");
	}
	svd_buf_printf(b,
	               "<p>Item id <code>%s</code>: the SHA-256 of its <a "
	               "href=\"../items/%.2s/%s/manifest.json\">manifest.json</a>. To check it "
	               "yourself: <code>sha256sum items/%.2s/%s/manifest.json</code> prints this "
	               "id; <code>minisign -V -m items/%.2s/%s/manifest.json -x "
	               "items/%.2s/%s/sig/KEYID.minisig -p KEYID.pub</code> checks a signature "
	               "with the editor's public key; <code>samvydav inspect</code> or "
	               "<code>samvydav import</code> of the bundle checks everything.</p>\n"
	               "</section>\n",
	               it->id, it->id, it->id, it->id, it->id, it->id, it->id, it->id, it->id);
}

/* A link to another item's page, by title, or its id when it is not shown. */
static void item_link(svd_buf *b, const svd_catalog *c, const char *id)
{
	svd_view_item buf;
	long t = svd_id_valid(id) ? svd_catalog_find(c, id) : -1;

	if (t >= 0 && c->v[t].row != HIDDEN) {
		/* the view's copy: the catalog may have let go of the manifests */
		const svd_view_item *vi = svd_view_find(&buf, c->view, id);
		const char *title = vi->title;
		svd_buf_printf(b, "<a href=\"%s.html\" lang=\"", id);
		html(b, vi->lang);
		svd_buf_puts(b, "\">");
		text(b, title && *title ? title : id);
		if (c->v[t].date[0])
			svd_buf_printf(b, "</a> (%s)", c->v[t].date);
		else
			svd_buf_puts(b, "</a>");
		return;
	}
	svd_buf_puts(b, "<code>");
	html(b, id);
	svd_buf_puts(b, "</code>");
	svd_buf_puts(b, svd_view_withdrawn(&buf, c->view, id) ? " (retracted; not in this library)"
	                                                      : " (not in this library)");
}

static void relations(svd_buf *b, const svd_catalog *c, const citem *it)
{
	const char *sup = svd_manifest_get(it->m, "supersedes");
	const char *ret = svd_manifest_get(it->m, "retracts");
	size_t k, nby = svd_view_superseder_count(c->view, it->id), opened = 0;

	if (sup || ret || nby) {
		svd_buf_puts(b, "<section id=\"relations\">\n");
		opened = 1;
	}
	for (k = 0; k < nby; k++) {
		svd_buf_puts(b, "<p class=\"superseded\"><strong>Superseded by</strong> ");
		svd_view_item buf;
		item_link(b, c, svd_view_superseder(&buf, c->view, it->id, k)->id);
		svd_buf_puts(b, "</p>\n");
	}
	if (sup) {
		svd_buf_puts(b, "<p class=\"supersedes\"><strong>Supersedes</strong> ");
		item_link(b, c, sup);
		svd_buf_puts(b, "</p>\n");
	}
	if (ret) {
		svd_buf_puts(b, "<p class=\"retracts\"><strong>Retracts</strong> ");
		item_link(b, c, ret);
		svd_buf_puts(b, "</p>\n");
	}
	if (opened)
		svd_buf_puts(b, "</section>\n");
}

static void meta_row(svd_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	svd_buf_printf(b, "<dt>%s</dt><dd>", name);
	text(b, value);
	svd_buf_puts(b, "</dd>\n");
}

/*
 * An item's page. With c NULL (an early page) the relations to other items
 * are left out: only right for an item that names none and that nothing
 * supersedes (svd_catalog_page_early).
 */
int svd_page_render(svd_buf *b, const svd_catalog *c, const citem *it, const svd_verdict *v,
                    const char *body, size_t body_len, cmark_node *doc)
{
	const char *title, *lang, *source;
	svd_view_item vbuf;
	svd_library_names *ln = NULL;
	size_t i;
	int error;

	/* the item's names on disk, made once for all its links */
	if (it->links == SVD_LINKS_INERT && (error = svd_library_names_new(&ln, it->m)) < 0) {
		if (doc)
			cmark_node_free(doc);
		return error;
	}
	title = svd_manifest_get(it->m, "title");
	lang = svd_manifest_get(it->m, "lang");
	source = svd_manifest_get(it->m, "source");
	page_head(b, lang, title && *title ? title : it->id, "../");
	svd_buf_puts(b, "</head>\n<body class=\"item\">\n<nav><a href=\"../index.html\">"
	                "&larr; All items</a></nav>\n<article>\n<h1>");
	text(b, title && *title ? title : it->id);
	svd_buf_puts(b, "</h1>\n<dl class=\"meta\">\n");
	if (svd_manifest_author_count(it->m)) {
		svd_buf_puts(b, "<dt>Authors</dt><dd>");
		authors(b, it->m);
		svd_buf_puts(b, "</dd>\n");
	}
	/* "created" is when the editor made the item: never shown as its date */
	if (svd_manifest_get(it->m, "published"))
		meta_row(b, "Published", svd_manifest_get(it->m, "published"));
	else
		svd_buf_puts(b, "<dt>Published</dt><dd>not given</dd>\n");
	meta_row(b, "Made by the editor", svd_manifest_get(it->m, "created"));
	meta_row(b, "Language", lang);
	meta_row(b, "Kind", svd_kind_name(svd_manifest_kind(it->m)));
	meta_row(b, "Region", svd_manifest_get(it->m, "region"));
	if (source) {
		svd_buf_puts(b, "<dt>Source</dt><dd><a rel=\"noreferrer noopener\" href=\"");
		html(b, source);
		svd_buf_puts(b, "\">");
		text(b, source);
		svd_buf_puts(b, "</a></dd>\n");
	}
	if (svd_manifest_tag_count(it->m)) {
		svd_buf_puts(b, "<dt>Tags</dt><dd>");
		for (i = 0; i < svd_manifest_tag_count(it->m); i++) {
			if (i)
				svd_buf_puts(b, ", ");
			text(b, svd_manifest_tag(it->m, i));
		}
		svd_buf_puts(b, "</dd>\n");
	}
	svd_buf_puts(b, "</dl>\n");
	if (c)
		relations(b, c, it);
	if (body) {
		svd_buf_puts(b, "<div class=\"body\">\n");
		markdown(b, it, ln, body, body_len, doc);
		svd_buf_puts(b, "</div>\n");
	} else if (doc) {
		cmark_node_free(doc);
	}
	attachments(b, it, ln);
	svd_library_names_free(ln);
	verdict_block(b, it, v, c && c->view ? svd_view_find(&vbuf, c->view, it->id) : NULL);
	svd_buf_puts(b, "</article>\n<footer><p><a href=\"../index.html\">All items</a></p>"
	                "</footer>\n</body>\n</html>\n");
	return b->error;
}

/* The catalog's index of a shown item, or a negative code with a message. */
static long shown_item(const svd_catalog *c, const char *id)
{
	svd_view_item buf;
	long t;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	t = svd_id_valid(id) ? svd_catalog_find(c, id) : -1;
	if (t < 0 || c->v[t].row == HIDDEN)
		return svd_error_set(SVD_ENOTFOUND, "no item %.64s in this library%s", id,
		                     svd_view_withdrawn(&buf, c->view, id) ? " (it was retracted)"
		                                                           : "");
	return t;
}

int svd_render_item(svd_buf *b, const svd_catalog *c, const char *id, const svd_verdict *v,
                    const char *body, size_t body_len)
{
	long t = shown_item(c, id);

	if (t < 0)
		return (int)t;
	if (!c->v[t].m || svd_manifest_is_compact(c->v[t].m))
		return svd_error_set(SVD_EINVALID, "the catalog let go of its manifests' files");
	return svd_page_render(b, c, &c->v[t], v, body, body_len, NULL);
}

int svd_render_item_manifest(svd_buf *b, const svd_catalog *c, const char *id,
                             const svd_manifest *m, const char *body, size_t body_len)
{
	long t = shown_item(c, id);
	citem it;

	if (t < 0)
		return (int)t;
	if (!m)
		return svd_error_set(SVD_ECORRUPT, "item %.64s has no manifest in main", id);
	if (!svd_manifest_id(m) || strcmp(svd_manifest_id(m), id) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "item %.64s: the manifest read is another's (%.64s)", id,
		                     svd_manifest_id(m) ? svd_manifest_id(m) : "none");
	it = c->v[t]; /* the verdict's parts are borrowed from the catalog */
	it.m = (svd_manifest *)m;
	return svd_page_render(b, c, &it, NULL, body, body_len, NULL);
}

int svd_render_asset(const char *name, const void **data, size_t *len)
{
	const svd_asset *a;

	for (a = svd_reader_assets; a->name; a++) {
		if (!strcmp(a->name, name)) {
			*data = a->data;
			*len = a->len;
			return 0;
		}
	}
	return svd_error_set(SVD_ENOTFOUND, "no reader asset %s", name);
}
