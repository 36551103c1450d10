/*
 * site_file.h: the mirror's catalog kept on disk (ARCHIVE/cache/site;
 * site_file.c has the format, SPEC.md 7.3 the rules), so that a daemon
 * that starts, or main that moves, runs the gate only on the items whose
 * folders changed. Not public.
 */
#ifndef SVD_SITE_FILE_H
#define SVD_SITE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "catalog_internal.h"
#include "store_items.h"

#define SVD_SITE_FILE_MAX (2048u * 1024 * 1024) /* bytes of the file */

/* One item's record: borrowed from the file's bytes until the next call. */
typedef struct svd_site_file_rec {
	char id[SVD_ID_HEX_LEN + 1];
	const uint8_t *tree;  /* the git id of the item's folder, 20 bytes */
	int passed;           /* it passed the gate: its catalog entry follows */
	const uint8_t *entry; /* with passed: the entry's bytes (svd_site_file_add reads them) */
	size_t entry_len;
} svd_site_file_rec;

typedef struct svd_site_file svd_site_file;

/*
 * Check a file's bytes whole: the size, the checksum, the magic, every
 * word, every record and its entry's layout, the records in id order.
 * SVD_ECORRUPT for any fault, SVD_ENOTFOUND for a file made with another
 * trust list (trust: svd_view_trust_print()'s). The manifests are parsed
 * later, by svd_site_file_add(). The cache borrows data, which must
 * outlive it; *out is the caller's (svd_site_file_free).
 */
int svd_site_file_parse(svd_site_file **out, const uint8_t *data, size_t len,
                        const uint8_t trust[32]);

/* The commit the records are of (40 hex digits) and its time. */
const char *svd_site_file_commit(const svd_site_file *sc);
int64_t svd_site_file_time(const svd_site_file *sc);

/* How many records. */
size_t svd_site_file_count(const svd_site_file *sc);

/* The file's words into an empty catalog, in their order (before any entry is added). */
int svd_site_file_words(svd_catalog *c, const svd_site_file *sc);

/* The next record, in id order, into *rec; 0 after the last, 1 otherwise. */
int svd_site_file_next(svd_site_file *sc, svd_site_file_rec *rec);

/*
 * A passed record's manifest, parsed (any thread may parse records of
 * one file at once): *out the caller's.
 */
int svd_site_file_manifest(svd_manifest **out, const svd_site_file_rec *rec);

/*
 * A passed record's entry into the catalog (its words loaded first): the
 * manifest (m, taken: parsed already by svd_site_file_manifest, or NULL
 * to parse it here), the verdict's fields, the words. SVD_ECORRUPT when
 * the manifest does not parse or is not the item's; a message is set.
 */
int svd_site_file_add(svd_catalog *c, const svd_site_file_rec *rec, svd_manifest *m);

/*
 * Does a passed record's verdict (ok, sound, each signature's key id,
 * status and key, the problems and dropped files) say what v, the gate's
 * check of the item in the store (svd_store_item_recheck), says? 1 or 0.
 * Nothing the gate decides is taken from the file without it.
 */
int svd_site_file_agrees(const svd_site_file_rec *rec, const svd_verdict *v);

void svd_site_file_free(svd_site_file *sc);

/*
 * The file for a catalog not yet finished (its words are still per item)
 * of the items of a listing of main (l): those c holds passed the gate, the
 * others were refused. Handed to out a MiB or so at a time, as it is made
 * (a million items make some 700 MB), the checksum last, also into sum;
 * the caller writes it under a temporary name. An error from out stops it.
 */
typedef int (*svd_site_file_out)(const void *data, size_t len, void *payload);
int svd_site_file_build(const svd_catalog *c, const svd_store_items *l, const uint8_t trust[32],
                        svd_site_file_out out, void *payload, uint8_t sum[32]);

/*
 * The gate on some items of a listing of main (l, borrowed; ids NULL for
 * all), into c, which is not finished: the sound ones are added with the
 * words of their bodies, as svd_catalog_from_archive() adds them; cb is
 * told of every verdict. Returns 0, SVD_ECORRUPT when some did not pass,
 * or an error. Defined in unpack.c, beside svd_catalog_from_archive().
 */
int svd_catalog_gate(svd_catalog *c, svd_archive *a, const svd_store_items *l,
                     const svd_trust *trust, const char *const *ids, size_t n, svd_item_cb cb,
                     void *payload);

#endif
