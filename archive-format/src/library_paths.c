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

int svd_render_is_library_path(const char *p)
{
	size_t len = strlen(p);

	if (!strcmp(p, "index.html") || !strcmp(p, "reader.css") || !strcmp(p, "reader.js") ||
	    !strcmp(p, "search/fold.js"))
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
	static const char *const active[] = {".html",  ".htm", ".shtml", ".xhtml", ".xht", ".mht",
	                                     ".mhtml", ".svg", ".svgz",  ".xml",   ".xsl", ".xslt"};
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

/* Is cand's key one of m's names' keys? 1, 0 or an error. */
static int taken(const svd_manifest *m, const char *cand)
{
	char *key = NULL, *other = NULL;
	size_t i, n = svd_manifest_file_count(m);
	int error, found = 0;

	if ((error = svd_manifest_path_key(&key, cand)) < 0)
		return error;
	for (i = 0; i < n && !found; i++) {
		if ((error = svd_manifest_path_key(&other, svd_manifest_file_at(m, i)->path)) < 0)
			break;
		found = !strcmp(key, other);
		free(other);
	}
	free(key);
	return error < 0 ? error : found;
}

int svd_library_file_name(char *out, const svd_manifest *m, const char *name)
{
	size_t len = strlen(name), k;
	char suffix[16];
	int error;

	if (len > SVD_NAME_MAX)
		return svd_error_set(SVD_EINVALID, "file name: longer than %d bytes", SVD_NAME_MAX);
	memcpy(out, name, len + 1);
	if (!svd_library_name_active(name))
		return 0;
	/* at most as many tries as the item has files, plus one: one is free */
	for (k = 1; k <= svd_manifest_file_count(m) + 1; k++) {
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
		memcpy(out, name, cut);
		memcpy(out + cut, suffix, slen + 1);
		if ((error = taken(m, out)) < 0)
			return error;
		if (!error)
			return 1;
	}
	return svd_error_set(SVD_ERROR, "%s: no free name for its inert copy", name);
}
