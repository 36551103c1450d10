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
#include "key.h"

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
#define SVD_FORMAT_MAX     2             /**< the newest manifest format this version reads */
/**
 * Item ids in one checkpoint. At 67 bytes an id (quotes and comma), 3500
 * take 234,500 bytes, so that a checkpoint with the longest title (4096
 * bytes, twice that escaped) and language tag still fits SVD_MANIFEST_MAX.
 */
#define SVD_CHECKPOINT_MAX 3500

/**
 * What an item is. The last three are statements (manifest format 2): they
 * carry no payload files, only what they say about keys and items.
 */
typedef enum svd_kind {
	SVD_KIND_ARTICLE = 0,
	SVD_KIND_TESTIMONY,
	SVD_KIND_CORRECTION,  /**< supersedes another item */
	SVD_KIND_RETRACTION,  /**< withdraws another item */
	SVD_KIND_CERTIFICATE, /**< vouches for an editor's key ("key") */
	SVD_KIND_REVOCATION,  /**< revokes a key ("key", "outside") */
	SVD_KIND_CHECKPOINT,  /**< vouches for a set of items ("items") */
} svd_kind;

/** What a revocation does to the revoked key's items outside every checkpoint. */
typedef enum svd_outside {
	SVD_OUTSIDE_NONE = 0, /**< not a revocation */
	SVD_OUTSIDE_KEEP,     /**< "keep": they stay */
	SVD_OUTSIDE_HIDE,     /**< "hide": they are hidden (the key is assumed captured) */
} svd_outside;

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

/** Is this kind a statement (certificate, revocation, checkpoint)? @return 1 or 0. */
int svd_kind_is_statement(svd_kind kind);

/**
 * Set one text field of a manifest being built. Fields: "title", "lang",
 * "published" (YYYY-MM-DD), "source" (http or https URL), "region",
 * "supersedes" and "retracts" (item ids), "created" (YYYY-MM-DDTHH:MM:SSZ),
 * and for statements "key" (the 56-character base64 line of a minisign
 * public key) and "outside" ("keep" or "hide"). A NULL value removes the
 * field. Values are checked here; which kind may have which field is
 * checked by svd_manifest_serialize().
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
 * Set the key a certificate or revocation is about (copied); NULL removes it.
 *
 * @return 0 or SVD_ERROR (out of memory).
 */
int svd_manifest_set_key(svd_manifest *m, const svd_pubkey *pk);

/** Set a revocation's "outside"; SVD_OUTSIDE_NONE removes it. @return 0 or SVD_EINVALID. */
int svd_manifest_set_outside(svd_manifest *m, svd_outside outside);

/**
 * Add an item id to a checkpoint (ids are kept sorted and unique: adding
 * one that is there changes nothing).
 *
 * @return 0; SVD_EINVALID for a malformed id, or one more than SVD_CHECKPOINT_MAX.
 */
int svd_manifest_add_item(svd_manifest *m, const char *id);

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
 * Statements are written in format 2, every other kind in format 1.
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

/**
 * The format: the number a parsed manifest holds (1 or 2); for one being
 * built, the number svd_manifest_serialize() writes. 0 for NULL.
 */
int svd_manifest_format(const svd_manifest *m);

/** A certificate's or revocation's key (borrowed from m), or NULL when it has none. */
const svd_pubkey *svd_manifest_key(const svd_manifest *m);

/** A revocation's "outside"; SVD_OUTSIDE_NONE for every other kind. */
svd_outside svd_manifest_outside(const svd_manifest *m);

/** The number of item ids a checkpoint lists (0 for every other kind). */
size_t svd_manifest_item_count(const svd_manifest *m);

/** The i-th item id of a checkpoint, 64 hex digits (borrowed), in order; NULL past the end. */
const char *svd_manifest_item_at(const svd_manifest *m, size_t i);

/**
 * The key (svd_manifest_path_key()) of the i-th payload file, made when the
 * manifest was read or built. @return it (borrowed), or NULL past the end.
 */
const char *svd_manifest_file_key(const svd_manifest *m, size_t i);

/** Find a payload file by name. @return it (borrowed) or NULL. */
const svd_manifest_file *svd_manifest_file_find(const svd_manifest *m, const char *path);

/**
 * Is this a payload file name that the format allows (SPEC.md 3.3.6)?
 * Reserved names ("manifest.json", "sig", by their key), Windows device
 * names (CON, NUL.txt, COM1, ...), '/', '\\', control characters, a
 * leading '.', a trailing '.' or ' ', the characters :*?"<>|, code points
 * Unicode 15.0 does not assign and invalid UTF-8 are not.
 *
 * @return 0, or SVD_EINVALID with a message saying why.
 */
int svd_manifest_check_path(const char *path);

/**
 * The key a payload file name collides on (SPEC.md 3.3.6): two names of one
 * item may not have the same key, since some disk (FAT32, exFAT, NTFS,
 * APFS, ext4 with casefold) would hold them as one file. The name in NFD,
 * each code point to its simple uppercase, full case folding, default
 * ignorables dropped, NFC (Unicode 15.0, utf8proc); ASCII in lower case.
 *
 * @param[out] out the key, NUL-terminated; the caller's, to free()
 * @return 0; SVD_EINVALID for a name svd_manifest_check_path() refuses;
 *         SVD_ERROR out of memory
 */
int svd_manifest_path_key(char **out, const char *path);

/** Is s exactly 64 lowercase hex digits? @return 1 or 0. */
int svd_id_valid(const char *s);

/**
 * Make a manifest compact: its fields, authors, tags and checkpoint ids
 * moved into one allocation, its file list and canonical bytes let go, to
 * be kept by the hundred thousand (a library's catalog holds one an item).
 * The id, kind and format stay; svd_manifest_bytes() gives NULL and the
 * file list is empty; the setters and svd_manifest_serialize() refuse it.
 * One with a key (a certificate or revocation) and one never parsed or
 * serialized are left as they are.
 *
 * @param[in,out] m the manifest, replaced by its compact copy
 * @return 0; SVD_ERROR out of memory (*m unchanged)
 */
int svd_manifest_compact(svd_manifest **m);

/** Was m made by svd_manifest_compact()? @return 1 or 0. */
int svd_manifest_is_compact(const svd_manifest *m);

/** Free a manifest; NULL is fine. */
void svd_manifest_free(svd_manifest *m);

#ifdef __cplusplus
}
#endif

#endif
