/*
 * manifest.h: an item's manifest.json, its canonical form and its id.
 *
 * The id of an item is the lowercase hex SHA-256 of the exact bytes of its
 * manifest.json. A manifest is accepted only when its bytes are exactly their
 * own canonical form (RFC 8785 restricted to ASCII keys, integers, and no
 * control characters in strings) and it follows the schema in
 * archive-format/SPEC.md. Input is untrusted: every size is capped.
 */
#ifndef SAMVYDAV_MANIFEST_H
#define SAMVYDAV_MANIFEST_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_ID_HEX_LEN     64            /**< hex digits of an item id */
#define SVD_MANIFEST_MAX   (256 * 1024)  /**< bytes; a larger manifest is refused */
#define SVD_ITEM_MAX_FILES 1000          /**< payload files of one item */
#define SVD_FILE_MAX_SIZE  0xFFFFFFFFull /**< bytes of one payload file (FAT32's limit) */
#define SVD_NAME_MAX       255           /**< bytes of a payload file name */
#define SVD_TEXT_MAX       4096          /**< bytes of a title, author, region, tag or source */
#define SVD_LIST_MAX       256           /**< authors or tags of one item */

/** What an item is. */
typedef enum svd_kind {
	SVD_KIND_ARTICLE = 0,
	SVD_KIND_TESTIMONY,
	SVD_KIND_CORRECTION, /**< supersedes another item */
	SVD_KIND_RETRACTION, /**< withdraws another item */
} svd_kind;

/** An item's manifest; opaque. */
typedef struct svd_manifest svd_manifest;

/** One payload file as a manifest lists it. Borrowed from its manifest. */
typedef struct svd_manifest_file {
	const char *path;   /**< a plain file name, no '/' */
	uint64_t size;      /**< bytes */
	uint8_t sha256[32]; /**< SHA-256 of the file's bytes */
} svd_manifest_file;

/**
 * Parse and check manifest bytes: size cap, UTF-8, canonical form, schema.
 *
 * @param[out] out the manifest; the caller's, freed with svd_manifest_free()
 * @param buf the bytes of manifest.json (borrowed; copied)
 * @param len their length
 * @return 0, SVD_ETOOBIG over SVD_MANIFEST_MAX, SVD_ECORRUPT for anything else
 *         that is wrong (the message names the field and the rule).
 */
int svd_manifest_parse(svd_manifest **out, const char *buf, size_t len);

/**
 * Start an empty manifest to fill with the svd_manifest_set_*() calls and
 * turn into bytes with svd_manifest_serialize().
 *
 * @param[out] out the caller's, freed with svd_manifest_free()
 */
int svd_manifest_new(svd_manifest **out);

/** Name of a kind ("article", ...), or NULL for a value out of range. */
const char *svd_kind_name(svd_kind kind);

/** Parse a kind's name. @return 0, or SVD_EINVALID for an unknown name. */
int svd_kind_parse(svd_kind *out, const char *name);

/**
 * Set one text field of a manifest being built. Fields: "title", "lang",
 * "published" (YYYY-MM-DD), "source" (http or https URL), "region",
 * "supersedes" and "retracts" (item ids), "created" (YYYY-MM-DDTHH:MM:SSZ).
 * A NULL value removes the field. Values are checked here.
 *
 * @return 0, or SVD_EINVALID naming the field and what is wrong.
 */
int svd_manifest_set(svd_manifest *m, const char *field, const char *value);

/** Set the kind. @return 0 or SVD_EINVALID. */
int svd_manifest_set_kind(svd_manifest *m, svd_kind kind);

/** Append an author (kept in the given order). @return 0 or SVD_EINVALID. */
int svd_manifest_add_author(svd_manifest *m, const char *author);

/** Add a tag (tags are kept sorted and unique). @return 0 or SVD_EINVALID. */
int svd_manifest_add_tag(svd_manifest *m, const char *tag);

/**
 * Add a payload file (kept sorted by name).
 *
 * @return 0; SVD_EINVALID for a name that is not allowed (see SPEC.md) or is
 *         already listed (also when it differs only in ASCII case).
 */
int svd_manifest_add_file(svd_manifest *m, const char *path, uint64_t size,
                          const uint8_t sha256[32]);

/**
 * Check a manifest being built against the schema and produce its canonical
 * bytes; from then on svd_manifest_id() and svd_manifest_bytes() answer.
 *
 * @return 0, or SVD_EINVALID naming what is missing or wrong.
 */
int svd_manifest_serialize(svd_manifest *m);

/** The canonical bytes (borrowed), after parse or serialize; NULL before. */
const char *svd_manifest_bytes(const svd_manifest *m, size_t *len);

/** The item id (64 lowercase hex digits, borrowed), after parse or serialize. */
const char *svd_manifest_id(const svd_manifest *m);

/* Read access to the fields. Strings are borrowed; NULL when absent. */
svd_kind svd_manifest_kind(const svd_manifest *m);
const char *svd_manifest_get(const svd_manifest *m, const char *field);
size_t svd_manifest_author_count(const svd_manifest *m);
const char *svd_manifest_author(const svd_manifest *m, size_t i);
size_t svd_manifest_tag_count(const svd_manifest *m);
const char *svd_manifest_tag(const svd_manifest *m, size_t i);
size_t svd_manifest_file_count(const svd_manifest *m);
const svd_manifest_file *svd_manifest_file_at(const svd_manifest *m, size_t i);

/** Find a payload file by name. @return it (borrowed) or NULL. */
const svd_manifest_file *svd_manifest_file_find(const svd_manifest *m, const char *path);

/**
 * Is this a payload file name that the format allows? Reserved names
 * ("manifest.json", "sig"), '/', '\\', control characters, a leading '.',
 * a trailing '.' or ' ', the characters :*?"<>| and invalid UTF-8 are not.
 *
 * @return 0, or SVD_EINVALID with a message saying why.
 */
int svd_manifest_check_path(const char *path);

/** Is s exactly 64 lowercase hex digits? @return 1 or 0. */
int svd_id_valid(const char *s);

/** Free a manifest; NULL is fine. */
void svd_manifest_free(svd_manifest *m);

#ifdef __cplusplus
}
#endif

#endif
