/*
 * library_paths.c: which paths are a reader library's own files (SPEC.md,
 * 9.8 and 11.1) — a fact of the format that the bundle reader (which skips
 * them) and the renderer (which writes them) both need, so it sits below
 * both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/manifest.h"
#include "library_paths.h"

/* p is pre, then 5 to 9 decimal digits, then ext: list/, rows/ and search/ numbered files. */
static int numbered(const char *p, const char *pre, const char *ext)
{
	size_t n = strlen(pre), d = 0;

	if (strncmp(p, pre, n))
		return 0;
	for (p += n; *p >= '0' && *p <= '9'; p++)
		d++;
	return d >= 5 && d <= 9 && !strcmp(p, ext);
}

int svd_render_is_library_path(const char *p)
{
	size_t len = strlen(p);

	if (!strcmp(p, "index.html") || !strcmp(p, "reader.css") || !strcmp(p, "reader.js") ||
	    !strcmp(p, "search/fold.js") || !strcmp(p, "search/dict.js") ||
	    !strcmp(p, "search/facets.js"))
		return 1;
	if (numbered(p, "list/", ".html") || numbered(p, "rows/", ".js") ||
	    numbered(p, "search/d", ".js") || numbered(p, "search/p", ".js"))
		return 1;
	if (len == 13 && !strncmp(p, "search/s", 8) && p[8] >= '0' && p[8] <= '6' && p[9] >= '0' &&
	    p[9] <= '9' && (p[8] - '0') * 10 + (p[9] - '0') < SVD_LIBRARY_SHARDS &&
	    !strcmp(p + 10, ".js"))
		return 1;
	if (len == 6 + SVD_ID_HEX_LEN + 5 && !strncmp(p, "pages/", 6) &&
	    !strcmp(p + 6 + SVD_ID_HEX_LEN, ".html")) {
		char id[SVD_ID_HEX_LEN + 1];
		memcpy(id, p + 6, SVD_ID_HEX_LEN);
		id[SVD_ID_HEX_LEN] = '\0';
		return svd_id_valid(id);
	}
	return 0;
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int svd_library_name_active(const char *name)
{
	/* Chromium's own table (net/base/mime_util.cc) and what it renders as XML */
	static const char *const active[] = {".html", ".htm",  ".shtml", ".shtm", ".xhtml", ".xhtm",
	                                     ".xht",  ".mht",  ".mhtml", ".svg",  ".svgz",  ".xml",
	                                     ".xsl",  ".xslt", ".rss",   ".rdf",  ".atom",  ".xbl"};
	const char *dot = strrchr(name, '.');
	char ext[8];
	size_t i;

	if (!dot || strlen(dot) >= sizeof(ext))
		return 0;
	for (i = 0; dot[i]; i++)
		ext[i] = (char)ascii_lower((unsigned char)dot[i]);
	ext[i] = '\0';
	for (i = 0; i < sizeof(active) / sizeof(active[0]); i++)
		if (!strcmp(ext, active[i]))
			return 1;
	return 0;
}

/*
 * A set of keys (hashed, open addressing), for the names of one item:
 * borrowed pointers, sized for every name it will hold.
 */
typedef struct keyset {
	const char **slot;
	size_t mask;
} keyset;

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* 1 when key is in the set, else added (0). */
static int keyset_put(keyset *ks, const char *key)
{
	size_t i = key_hash(key) & ks->mask;

	for (; ks->slot[i]; i = (i + 1) & ks->mask)
		if (!strcmp(ks->slot[i], key))
			return 1;
	ks->slot[i] = key;
	return 0;
}

struct svd_library_names {
	const svd_manifest *m;
	char **disk; /* parallel to m's files: the inert name, or NULL for the file's own */
	size_t n;
};

void svd_library_names_free(svd_library_names *ln)
{
	size_t i;

	if (!ln)
		return;
	for (i = 0; i < ln->n; i++)
		free(ln->disk[i]);
	free(ln->disk);
	free(ln);
}

/*
 * The inert name of an active name: ".txt" added, or "~2.txt", "~3.txt"...
 * when that key is taken (ks, where it is then added; its key goes to
 * *key, the caller's). At most tries candidates: one of them is free when
 * the set holds fewer keys than that.
 */
static int inert_name(char **out, char **key, keyset *ks, const char *name, size_t tries)
{
	size_t len = strlen(name), k;
	char cand[SVD_NAME_MAX + 1], suffix[32];
	int error;

	for (k = 1; k <= tries; k++) {
		size_t cut = len, slen;

		if (k == 1)
			snprintf(suffix, sizeof(suffix), ".txt");
		else
			snprintf(suffix, sizeof(suffix), "~%zu.txt", k);
		slen = strlen(suffix);
		if (cut > SVD_NAME_MAX - slen)
			cut = SVD_NAME_MAX - slen;
		while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
			cut--; /* not inside a character */
		memcpy(cand, name, cut);
		memcpy(cand + cut, suffix, slen + 1);
		if ((error = svd_manifest_path_key(key, cand)) < 0)
			return error;
		if (!keyset_put(ks, *key))
			return (*out = strdup(cand)) ? 0
			                             : svd_error_set(SVD_ERROR, "out of memory");
		free(*key);
		*key = NULL;
	}
	return svd_error_set(SVD_ERROR, "%s: no free name for its inert copy", name);
}

int svd_library_names_new(svd_library_names **out, const svd_manifest *m)
{
	svd_library_names *ln = NULL;
	keyset ks = {NULL, 0};
	char **own = NULL; /* keys made here: the inert names' (and any m has not) */
	size_t i, n = svd_manifest_file_count(m), nactive = 0, nown = 0, cap = 4;
	int error = 0;

	*out = NULL;
	for (i = 0; i < n; i++)
		nactive += svd_library_name_active(svd_manifest_file_at(m, i)->path);
	while (cap < 2 * (n + nactive))
		cap *= 2;
	if (!(ln = calloc(1, sizeof(*ln))) || (n && !(ln->disk = calloc(n, sizeof(*ln->disk)))) ||
	    !(ks.slot = calloc(cap, sizeof(*ks.slot))) ||
	    !(own = calloc(n + nactive + 1, sizeof(*own)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	ln->m = m;
	ln->n = n;
	ks.mask = cap - 1;
	for (i = 0; i < n && error == 0; i++) { /* distinct: the manifest says so */
		const char *key = svd_manifest_file_key(m, i);

		if (!key && (error = svd_manifest_path_key(&own[nown],
		                                           svd_manifest_file_at(m, i)->path)) == 0)
			key = own[nown++];
		if (key)
			keyset_put(&ks, key);
	}
	/* in the manifest's order, each inert name distinct from all given before */
	for (i = 0; i < n && error == 0; i++) {
		const char *name = svd_manifest_file_at(m, i)->path;

		if (!svd_library_name_active(name))
			continue;
		if (strlen(name) > SVD_NAME_MAX)
			error = svd_error_set(SVD_EINVALID, "file name: longer than %d bytes",
			                      SVD_NAME_MAX);
		else if ((error = inert_name(&ln->disk[i], &own[nown], &ks, name, n + i + 1)) == 0)
			nown++;
	}
cleanup:
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	free(ks.slot);
	if (error < 0)
		svd_library_names_free(ln);
	else
		*out = ln;
	return error;
}

const char *svd_library_names_at(const svd_library_names *ln, size_t i)
{
	if (!ln || i >= ln->n)
		return NULL;
	return ln->disk[i] ? ln->disk[i] : svd_manifest_file_at(ln->m, i)->path;
}

const char *svd_library_names_get(const svd_library_names *ln, const char *name)
{
	const svd_manifest_file *f = ln ? svd_manifest_file_find(ln->m, name) : NULL;

	return f ? svd_library_names_at(ln, (size_t)(f - svd_manifest_file_at(ln->m, 0))) : NULL;
}

int svd_library_file_name(char *out, const svd_manifest *m, const char *name)
{
	svd_library_names *ln = NULL;
	const char *disk;
	size_t len = strlen(name);
	int error;

	if (len > SVD_NAME_MAX)
		return svd_error_set(SVD_EINVALID, "file name: longer than %d bytes", SVD_NAME_MAX);
	memcpy(out, name, len + 1);
	if (!svd_library_name_active(name))
		return 0;
	if ((error = svd_library_names_new(&ln, m)) < 0)
		return error;
	if (!(disk = svd_library_names_get(ln, name)))
		error = svd_error_set(SVD_EINVALID, "%s: not one of the item's files", name);
	else if (strcmp(disk, name) != 0) {
		memcpy(out, disk, strlen(disk) + 1);
		error = 1;
	}
	svd_library_names_free(ln);
	return error;
}
