/*
 * library_paths.c: which paths are a reader library's own files (SPEC.md,
 * 9.8 and 11.1) — a fact of the format that the bundle reader (which skips
 * them) and the renderer (which writes them) both need, so it sits below
 * both.
 */
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
