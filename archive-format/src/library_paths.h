/*
 * library_paths.h: which paths are a reader library's own files (not
 * public; render.h declares the same function for the library's users).
 */
#ifndef SVD_LIBRARY_PATHS_H
#define SVD_LIBRARY_PATHS_H

#define SVD_LIBRARY_SHARDS 64 /* search/s00.js .. s63.js; render.h's SVD_SEARCH_SHARDS */

/*
 * Is path the name of a reader library file in a bundle (index.html,
 * reader.css, reader.js, search/fold.js, search/sNN.js, pages/<id>.html)?
 * 1 or 0.
 */
int svd_render_is_library_path(const char *path);

#endif
