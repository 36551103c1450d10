/*
 * item.h: the gate — one check that every item passes before it enters
 * main, wherever it comes from (a folder, the store, later a bundle or a
 * peer).
 *
 * The caller lists what it found in the item's folder, with the actual
 * size and SHA-256 of every file's actual bytes; the gate compares that
 * with the manifest and checks the signatures against the trust list. It
 * never reads anything itself, so the same rules hold for every source.
 */
#ifndef SAMVYDAV_ITEM_H
#define SAMVYDAV_ITEM_H

#include "common.h"
#include "trust.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an entry of an item's folder is. */
typedef enum svd_entry_type {
	SVD_ENTRY_FILE = 0, /**< a regular file */
	SVD_ENTRY_DIR,      /**< a folder */
	SVD_ENTRY_OTHER,    /**< a link, a device, a submodule: never allowed */
} svd_entry_type;

/** One entry found in an item's folder. */
typedef struct svd_entry {
	const char *path;    /**< relative, '/'-separated: "body.md", "sig/ABCD….minisig" */
	svd_entry_type type; /**< what it is */
	uint64_t size;       /**< bytes (files) */
	uint8_t sha256[32];  /**< SHA-256 of the bytes (files) */
	const char *data; /**< the bytes of manifest.json and sig files; NULL if over their cap */
	size_t data_len;  /**< length of data */
} svd_entry;

/**
 * How one signature fared. Every signature is verified, by a trusted key or
 * not: with the key file beside it (sig/<KEYID>.pub), else the trusted key
 * of its number, else the archive's registered one (keys/<KEYID>.pub).
 */
typedef enum svd_sig_status {
	SVD_SIG_VALID = 0, /**< verifies, and its key is in the trust list (the whole key) */
	SVD_SIG_UNTRUSTED, /**< verifies, by a key not trusted here: kept, does not count */
	SVD_SIG_INVALID,   /**< malformed, misnamed, unverifiable, does not verify, or its key
	                        collides with another key of the same number */
	/**
	 * In the store only (never on entry): stored before keys travelled with
	 * items, and no key of its number is known here, so it cannot be
	 * checked; it does not count, and is left out when the item is staged
	 * again. On entry such a signature is SVD_SIG_INVALID.
	 */
	SVD_SIG_UNCHECKED,
} svd_sig_status;

/** The outcome of the gate for one item; opaque. */
typedef struct svd_verdict svd_verdict;

/**
 * Check one item.
 *
 * @param[out] out the verdict; the caller's, freed with svd_verdict_free()
 * @param expected_id the id the item is filed under (its folder's name), or NULL
 * @param entries what the folder holds (borrowed)
 * @param trust the trust list (borrowed)
 * @return 0 whatever the verdict; negative only when out of memory.
 */
int svd_item_check(svd_verdict **out, const char *expected_id, const svd_entry *entries, size_t n,
                   const svd_trust *trust);

/** Flags for svd_item_check_ext(). */
enum svd_check_flags {
	/**
	 * When the item has a valid signature by a trusted key and its only
	 * problems are signature and key files that do not verify, cannot be
	 * verified, do not parse or collide (checks signature and key),
	 * accept it and list those files as dropped (the store leaves them
	 * out and never writes them). Used for what enters the archive; never
	 * for verifying it. Without it, a signature whose key is known nowhere
	 * is SVD_SIG_UNCHECKED and no problem (an item stored before keys
	 * travelled).
	 */
	SVD_CHECK_DROP_BAD_SIGS = 1u << 0,
	/**
	 * Payload files are compared with the manifest by size only: the
	 * caller has not hashed them (their sha256 in the entries is not set).
	 * For items already in the store, whose bytes were hashed when they
	 * entered; never for what enters.
	 */
	SVD_CHECK_SIZES_ONLY = 1u << 1,
};

/**
 * svd_item_check() with flags (enum svd_check_flags).
 */
int svd_item_check_ext(svd_verdict **out, const char *expected_id, const svd_entry *entries,
                       size_t n, const svd_trust *trust, unsigned int flags);

/**
 * svd_item_check_ext() with the archive's registry of keys (keys/ in the
 * store: the first key seen for each key number), used for a signature
 * whose key is neither beside it nor trusted, and against which a key
 * beside a signature by an untrusted key number must agree.
 *
 * @param registry the keys the archive holds (borrowed), or NULL for none
 */
int svd_item_check_keys(svd_verdict **out, const char *expected_id, const svd_entry *entries,
                        size_t n, const svd_trust *trust, const svd_trust *registry,
                        unsigned int flags);

/** 1 if the item passed every check, else 0. */
int svd_verdict_ok(const svd_verdict *v);

/**
 * 1 if the item passed every check but perhaps "trust": it is whole and its
 * signatures verify, and whether their keys count is the view's to say
 * (an editor certified by roots is not in the trust list; view.h).
 */
int svd_verdict_sound(const svd_verdict *v);

/** The item's id (borrowed): the manifest's SHA-256, else expected_id, else NULL. */
const char *svd_verdict_id(const svd_verdict *v);

/** The parsed manifest (borrowed), or NULL when it did not parse. */
const svd_manifest *svd_verdict_manifest(const svd_verdict *v);

/** How many problems were found (0 when ok). */
size_t svd_verdict_problem_count(const svd_verdict *v);

/**
 * The i-th problem. All borrowed.
 *
 * @param[out] file the entry concerned ("manifest.json", "body.md", "sig/…")
 * @param[out] check a stable name: manifest, canonical, id, layout, missing, size, sha256,
 *             signature, key, trust; and metadata, for an item refused before the gate
 *             (its meta.json or JSON line)
 * @param[out] message what is wrong, in plain words
 */
void svd_verdict_problem(const svd_verdict *v, size_t i, const char **file, const char **check,
                         const char **message);

/** How many bad signature files were left out (SVD_CHECK_DROP_BAD_SIGS). */
size_t svd_verdict_dropped_count(const svd_verdict *v);

/** The i-th dropped signature file and why (borrowed). */
void svd_verdict_dropped(const svd_verdict *v, size_t i, const char **file, const char **message);

/** The check the i-th dropped file failed (borrowed): "signature" or "key". */
const char *svd_verdict_dropped_check(const svd_verdict *v, size_t i);

/** How many signature files the item has. */
size_t svd_verdict_sig_count(const svd_verdict *v);

/** The i-th signature: its key id (borrowed; may be "?" if unreadable) and status. */
void svd_verdict_sig(const svd_verdict *v, size_t i, const char **keyid, svd_sig_status *status);

/**
 * The 32-byte Ed25519 public key the i-th signature verified with
 * (borrowed, lives as long as the verdict), or NULL when it did not verify
 * (SVD_SIG_INVALID, SVD_SIG_UNCHECKED).
 */
const uint8_t *svd_verdict_sig_pk(const svd_verdict *v, size_t i);

/** The same key as a public key (borrowed), or NULL; its canonical file is sig/<KEYID>.pub. */
const svd_pubkey *svd_verdict_sig_key(const svd_verdict *v, size_t i);

/**
 * A verdict with no checks run yet, for an item refused before the gate
 * (metadata that does not parse, a file that cannot be read).
 *
 * @param[out] out the caller's, freed with svd_verdict_free()
 */
int svd_verdict_new(svd_verdict **out);

/** Name the item a verdict speaks of (for one refused before the gate); copied. */
int svd_verdict_set_id(svd_verdict *v, const char *id);

/**
 * Name the item by its folder when the checks gave it no id (its manifest
 * did not parse or is not canonical): reported, and marked as not verified
 * (svd_verdict_id_verified()). Does nothing when the verdict has an id, or
 * when id is not one (64 lowercase hex digits). Copied.
 */
int svd_verdict_set_named_id(svd_verdict *v, const char *id);

/**
 * 1 when svd_verdict_id() is the SHA-256 of the item's canonical manifest
 * (or the id it was checked against), 0 when it is only the name of the
 * folder the item came in (svd_verdict_set_named_id()) or there is none.
 */
int svd_verdict_id_verified(const svd_verdict *v);

/** Say where the item came from ("DIR/x", "items.jsonl:12"); copied. */
int svd_verdict_set_source(svd_verdict *v, const char *source);

/** Where the item came from (borrowed), or NULL. */
const char *svd_verdict_source(const svd_verdict *v);

/**
 * Add a problem found by the caller (e.g. a file that could not be read).
 * file and the message are copied; check must be a string that lives as
 * long as the verdict (one of the stable names above).
 */
int svd_verdict_add_problem(svd_verdict *v, const char *file, const char *check, const char *fmt,
                            ...) SVD_PRINTF(4, 5);

/**
 * One line for a person: "ID: FILE: CHECK: MESSAGE" for the first problem,
 * "and N more" when there are more. The caller's (free()).
 */
char *svd_verdict_summary(const svd_verdict *v);

/** Free a verdict; NULL is fine. */
void svd_verdict_free(svd_verdict *v);

/**
 * Told about every item an operation, a verification or a view has looked
 * at, accepted or not. Return 0 to go on, non-zero to stop (that value is
 * returned by the call that was running).
 */
typedef int (*svd_item_cb)(const svd_verdict *v, void *payload);

#ifdef __cplusplus
}
#endif

#endif
