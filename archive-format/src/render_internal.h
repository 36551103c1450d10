/*
 * render_internal.h: what the reader library's files share (not public).
 */
#ifndef SVD_RENDER_INTERNAL_H
#define SVD_RENDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/render.h"
#include "buf.h"

/* One static asset, embedded by embed.cmake (reader_assets.c). */
typedef struct svd_asset {
	const char *name;
	const unsigned char *data;
	size_t len;
} svd_asset;

/* The table embed.cmake writes; ends with a NULL name. */
extern const svd_asset svd_reader_assets[];

/*
 * Page at a time, folding, tokens and shards: what render_library.c, the
 * unpack, the HTTP service and the unit tests use, which the public
 * render.h leaves out (its outlet is svd_render_library()).
 */

/*
 * The folding of one code point for search (SPEC.md, 11.3): ASCII and
 * Latin, Greek and Cyrillic capitals to small letters, Latin and Greek
 * diacritics removed, combining marks dropped. Returns the folded code
 * point, 0 when it is dropped, cp itself when unchanged.
 */
uint32_t svd_fold_cp(uint32_t cp);

/*
 * Fold UTF-8 text (NFC assumed), appending to out. Bytes that are not
 * valid UTF-8 are taken as U+FFFD.
 */
int svd_fold(svd_buf *out, const char *s, size_t len);

/* Told about each token; return non-zero to stop (that value is returned). */
typedef int (*svd_token_cb)(const char *token, size_t len, void *payload);

/*
 * Split text into search tokens: maximal runs of letters and digits,
 * folded, of SVD_TOKEN_MIN to SVD_TOKEN_MAX code points (longer and shorter
 * runs are no token). The token is borrowed for the callback's duration.
 */
int svd_tokens(const char *s, size_t len, svd_token_cb cb, void *payload);

/* 1 when cp (unfolded) is a letter or digit of a token (SPEC.md, 11.4), else 0. */
int svd_token_cp(uint32_t cp);

/* The search shard of a folded token: FNV-1a 32 of its first two code points' UTF-8, mod 64. */
unsigned svd_search_shard(const char *token, size_t len);

/*
 * Transliteration (SPEC.md, 11.6: render_translit.c). The two schemes: the
 * Ukrainian national system (Cabinet of Ministers' resolution 55, 2010),
 * and a simplified BGN/PCGN for Russian and other Cyrillic text. No state:
 * any thread may call these at any time.
 */
#define SVD_TRANSLIT_UK 1
#define SVD_TRANSLIT_RU 2

/*
 * The scheme for an item's language tag (BCP 47): SVD_TRANSLIT_UK when its
 * primary subtag is "uk" (any case), else SVD_TRANSLIT_RU (NULL included).
 */
int svd_translit_scheme(const char *lang);

/*
 * The Latin form of one folded token (svd_tokens() gives them), appended to
 * out: ASCII a-z and 0-9 only, 2 to SVD_TOKEN_MAX characters, itself a
 * folded token. A token holding є, і, ї or ґ is written in the Ukrainian
 * scheme, else one holding ъ, ы or э in the Russian one, whatever scheme
 * says; else in scheme. ASCII letters and digits in the token stay as they
 * are; the apostrophe U+02BC is not written.
 *
 * @param[out] out  the Latin form is appended here (nothing on 0)
 * @param scheme    SVD_TRANSLIT_UK or SVD_TRANSLIT_RU (svd_translit_scheme)
 * @return 1 when a form was appended; 0 when the token has none: it holds
 *         no Cyrillic letter, or a code point of neither table (another
 *         script, a Cyrillic letter outside both tables, a capital, invalid
 *         UTF-8), or its form would have fewer than SVD_TOKEN_MIN or more
 *         than SVD_TOKEN_MAX characters (no token: a query could not hold
 *         it either); SVD_EINVALID for another scheme; out's error when it
 *         is full or has one
 */
int svd_translit(svd_buf *out, const char *tok, size_t len, int scheme);

/*
 * search/translit.js (the tables of svd_translit() for
 * archive-format/reader/lex.js: SPEC.md 11.6), appended to out.
 */
int svd_render_translit_js(svd_buf *out);

/*
 * The same tables as one JSON object (what svd_render_translit_js() passes
 * to svdTranslit()), appended to out: the root of the dictionary carries
 * it as "translit" (SPEC.md 11.5).
 */
int svd_render_translit_json(svd_buf *out);

/*
 * Word forms (SPEC.md, 11.7: render_stem.c): Snowball's stemmers
 * (libstemmer 2.2) over folded tokens.
 */
typedef struct svd_stemmer svd_stemmer;

/*
 * The Snowball algorithm for an item's language tag (BCP 47; its primary
 * subtag, any case, an ISO 639-1 code), as sb_stemmer_list() names it, or
 * NULL when Snowball 2.2 has none for it (Ukrainian, Slovak, Polish, ...).
 * A static string.
 */
const char *svd_stem_algorithm(const char *lang);

/*
 * A stemmer for lang. It holds one Snowball stemmer, which is not
 * thread-safe: one svd_stemmer per thread, never used by two at once.
 *
 * @param[out] out  the stemmer, freed with svd_stemmer_free()
 * @return 0; SVD_ENOTFOUND when Snowball has no stemmer for lang
 *         (svd_stem_algorithm() is NULL); SVD_ERROR without memory
 */
int svd_stemmer_new(svd_stemmer **out, const char *lang);

/* Free a stemmer; NULL is accepted. */
void svd_stemmer_free(svd_stemmer *st);

/* The Snowball algorithm of st (a static string). */
const char *svd_stemmer_algorithm(const svd_stemmer *st);

/*
 * The stem of one folded token (svd_tokens() gives them), appended to out
 * when it differs from the token. The stem is folded again (a Snowball
 * stemmer may write what folding changes) and must be a token itself: 2 to
 * SVD_TOKEN_MAX code points, each a token's (svd_token_cp()).
 *
 * @param[out] out  the stem is appended here (nothing on 0)
 * @return 1 when a stem was appended; 0 when the token is its own stem, or
 *         is no token (fewer than SVD_TOKEN_MIN or more than SVD_TOKEN_MAX
 *         code points), or its stem is no token; SVD_EINVALID for a token
 *         that is not UTF-8; SVD_ERROR when Snowball runs out of memory;
 *         out's error when it is full or has one
 */
int svd_stem(svd_buf *out, svd_stemmer *st, const char *tok, size_t len);

/* index.html, appended to out. */
int svd_render_index(svd_buf *out, const svd_catalog *c);

/*
 * pages/<id>.html, appended to out. v is the verdict to show, or NULL for
 * the one the catalog holds; body is body.md's bytes, or NULL when the item
 * has none. Returns 0, or SVD_ENOTFOUND for an id the catalog does not show
 * (absent or retracted).
 */
int svd_render_item(svd_buf *out, const svd_catalog *c, const char *id, const svd_verdict *v,
                    const char *body, size_t body_len);

/*
 * svd_render_item with no verdict, the item's manifest given (read again
 * from the store, borrowed): what the daemon renders once its catalog has
 * let go of the manifests (svd_catalog_drop_manifests). SVD_ENOTFOUND as
 * svd_render_item; SVD_ECORRUPT when m is NULL or not the manifest of id.
 */
int svd_render_item_manifest(svd_buf *out, const svd_catalog *c, const char *id,
                             const svd_manifest *m, const char *body, size_t body_len);

/*
 * Let go of the manifests of a finished catalog whose library files are
 * written (the daemon's, about 2 KB an item: most of what it held): item
 * pages then come from svd_render_item_manifest, /api/items from the view
 * (svd_view_item's title, authors and region). The list, rows and search
 * files can no longer be made from it, nor a catalog file.
 */
void svd_catalog_drop_manifests(svd_catalog *c);

/*
 * The paged library (SPEC.md, 11.2): how many list pages (1 for an empty
 * library), and page p (1: index.html, else list/NNNNN.html) appended to
 * out; SVD_ENOTFOUND for a page past the last. svd_render_index is the
 * daemon's one-page index.
 */
size_t svd_list_pages(const svd_catalog *c);
int svd_render_list(svd_buf *out, const svd_catalog *c, size_t p);

/* rows/NNNNN.js for chunk n (rows n*SVD_CHUNK_ROWS on), appended to out. */
int svd_render_rows(svd_buf *out, const svd_catalog *c, size_t n);

/*
 * The search index of the paged library (SPEC.md, 11.5): search/dict.js,
 * search/dNNNNN.js, search/pNNNNN.js and search/facets.js, each handed to
 * cb as it is made.
 */
int svd_render_search(const svd_catalog *c, svd_render_file_cb cb, void *payload);

/* search/sNN.js for shard n (0..63), appended to out (the daemon's). */
int svd_render_shard(svd_buf *out, const svd_catalog *c, unsigned n);

/* search/fold.js: every non-identity mapping of svd_fold_cp(), appended to out. */
int svd_render_fold_js(svd_buf *out);

/* The id of the i-th item added (borrowed), or NULL past the end. */
const char *svd_catalog_id_at(const svd_catalog *c, size_t i);

/*
 * Apply the trust rules of SPEC 7.3 (roots, certificates, revocations,
 * checkpoints, thresholds) with this trust when the catalog is finished,
 * to the items added with verdicts; borrowed until svd_catalog_finish().
 * Without it, a verdict's "ok" is taken as it is.
 */
void svd_catalog_set_trust(svd_catalog *c, const svd_trust *trust);

/*
 * How the pages of the catalog's items (those added already and those to
 * come; an early page copied before keeps the old way) link their files:
 * SVD_LINKS_DIRECT (the default: the daemon), SVD_LINKS_INERT (unpack,
 * which writes active files under svd_library_names_new()) or
 * SVD_LINKS_NONE (export --with-reader). library_paths.h.
 */
void svd_catalog_set_links(svd_catalog *c, int links);

/*
 * Keep the items' manifests compact from the first item on (no file list,
 * no bytes: svd_manifest_compact): about a quarter of the memory, which is
 * most of a catalog's at a million items. Their pages then need the whole
 * manifest from elsewhere (svd_render_item_manifest; svd_render_library_ex's
 * mf). spill_fd, when not -1, is an empty file open for reading and
 * writing, the catalog's from now on (closed at svd_catalog_finish): each
 * manifest's canonical bytes are appended there and read back for the
 * site's catalog file (site_file.c). SVD_EINVALID once an item is in (fd
 * not taken).
 */
int svd_catalog_set_compact(svd_catalog *c, int spill_fd);

/*
 * Early pages and words: `samvydav unpack` adds each item to the catalog as
 * the bundle is read (svd_catalog_add_later, on the reading thread) and
 * hands the rest to other threads: svd_early_prepare gathers the item's
 * search words and, for an item whose page cannot depend on the others (it
 * supersedes and retracts nothing), renders its page; svd_catalog_add_words
 * then puts the words in the catalog. The two catalog calls must not run at
 * the same time (the caller holds a lock); svd_early_prepare needs none.
 * After svd_catalog_finish, svd_catalog_page_final says whether an early
 * page is the final one (nothing shown supersedes the item and it was not
 * retracted); the others are rendered again.
 */
typedef struct svd_early_page svd_early_page;
typedef struct svd_words svd_words;

/*
 * The index of the item with this id in c->v (catalog_internal.h), or -1:
 * unpack asks whether an item read again is there already.
 */
long svd_catalog_find(const svd_catalog *c, const char *id);

/*
 * Add v's item without its words: 1 and *out (free() it) for a new item, 0
 * for one already there, or an error. *out points into the catalog: use it
 * before the catalog is finished or freed.
 */
int svd_catalog_add_later(svd_early_page **out, svd_catalog *c, const svd_verdict *v);

/* The item's id (borrowed). */
const char *svd_early_page_id(const svd_early_page *e);

/* Scratch space for one thread's words. */
svd_words *svd_words_new(void);
void svd_words_free(svd_words *w);

/*
 * The item's words into w; and its early page into b (the same bytes as
 * svd_render_item with no verdict gives when nothing relates to it): 1 when
 * a page was rendered, 0 when it must wait for the whole catalog (or b is
 * NULL: words only), or an error.
 */
int svd_early_prepare(svd_words *w, svd_buf *b, const svd_early_page *e, const char *body,
                      size_t body_len);

/* The words svd_early_prepare gathered, into the catalog (once per item). */
int svd_catalog_add_words(svd_catalog *c, const svd_early_page *e, const svd_words *w);

/* 1 when id's early page is its final page, in a finished catalog. */
int svd_catalog_page_final(const svd_catalog *c, const char *id);

/*
 * svd_render_library, but with skip_final set the pages whose early page
 * is final (svd_catalog_page_final) are left out: an unpack wrote them
 * while it read the items. mf, when given, reads each page's whole
 * manifest (a compact catalog's pages: svd_catalog_set_compact), with
 * body_payload, one call at a time.
 */
typedef int (*svd_manifest_read_cb)(svd_manifest **out, const char *id, void *payload);
int svd_render_library_ex(const svd_catalog *c, svd_body_cb body, svd_manifest_read_cb mf,
                          void *body_payload, unsigned threads, int skip_final,
                          svd_render_file_cb cb, void *payload);

/*
 * Every non-identity mapping of the fold table, in code point order
 * (render_fold_table.c, written by archive-format/tools/gen_fold.py).
 */
typedef struct svd_fold_pair {
	unsigned short from, to; /* to = 0: dropped */
} svd_fold_pair;
extern const svd_fold_pair svd_fold_table[];
extern const size_t svd_fold_table_len;

#endif
