/*
 * network.h: this mirror's encryption keys and the network's mirrors — the
 * keys that seal files for couriers and open what they bring (seal.h;
 * SPEC.md, 12).
 *
 *     ARCHIVE/network/                        mode 0700
 *     ARCHIVE/network/secret                  this mirror's current secret key (0600)
 *     ARCHIVE/network/retired/STAMP.secret    earlier ones, STAMP the UTC time it was
 *                                             retired (YYYYMMDDTHHMMSSZ): they open what
 *                                             was sealed to them, and seal nothing (0600)
 *     ARCHIVE/network/mirrors/NAME.pub        the public keys of the network's mirrors
 *     ARCHIVE/network/stick-folder            the folder on a stick that sealed files go
 *                                             to (stick.h), one line; missing: the root
 *
 * Like the trust list, all of it is this mirror's own: never copied to
 * other mirrors, never read from a bundle or a peer. Each file is written
 * whole under a temporary name, synced and renamed. Each is read as
 * untrusted input: a link, a FIFO or a device in its place is refused
 * without waiting on it, and a key file must be exactly what
 * svd_seal_public_format() or svd_seal_secret_format() writes.
 *
 * The functions that change the folder take the archive's write lock for
 * the change when the caller does not hold it (SVD_ELOCKED when another
 * process does), and leave the caller's lock held.
 */
#ifndef SAMVYDAV_NETWORK_H
#define SAMVYDAV_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "archive.h"
#include "seal.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of a mirror's name at most: [A-Za-z0-9._-], not starting with '.'. */
#define SVD_NETWORK_NAME_MAX 64

/** Bytes of a key file read at most (the files themselves are 87 and 94). */
#define SVD_NETWORK_KEYFILE_MAX 256

/** Characters of a retired key's stamp: YYYYMMDDTHHMMSSZ. */
#define SVD_NETWORK_STAMP_LEN 16

/** A mirror of the network, as network/mirrors/ holds it. */
typedef struct svd_network_mirror {
	char name[SVD_NETWORK_NAME_MAX + 1]; /**< its file's name without .pub */
	uint8_t pk[SVD_SEAL_KEY_LEN];        /**< its public key */
	char fingerprint[20];                /**< svd_seal_fingerprint() of pk */
} svd_network_mirror;

/** One of this mirror's retired keys (its public half: the secret stays in the file). */
typedef struct svd_network_retired {
	char stamp[SVD_NETWORK_STAMP_LEN + 1]; /**< when it was retired, YYYYMMDDTHHMMSSZ */
	int64_t time;                          /**< the same, in seconds since 1970 */
	uint8_t pk[SVD_SEAL_KEY_LEN];          /**< its public key */
	char fingerprint[20];                  /**< svd_seal_fingerprint() of pk */
} svd_network_retired;

/** 1 when name is a valid mirror's name (1..SVD_NETWORK_NAME_MAX of [A-Za-z0-9._-], no leading '.'), else 0. */
int svd_network_name_valid(const char *name);

/**
 * Make this mirror's key pair if it has none (svd_archive_init() does; an
 * archive made before sealed files gets it here, on first need). An
 * existing key is read and must parse; it is never replaced.
 *
 * @param[out] made 1 when the key pair was made now, else 0 (may be NULL):
 *             the caller tells the operator, who then gives the public key
 *             to the other mirrors
 * @return 0; SVD_ECORRUPT when network/secret is there but damaged.
 */
int svd_network_key_ensure(svd_archive *a, int *made);

/**
 * This mirror's current public key.
 *
 * @return 0; SVD_ENOTFOUND when it has no key pair yet (see
 *         svd_network_key_ensure()); SVD_ECORRUPT for a damaged secret key file.
 */
int svd_network_key_public(uint8_t pk[SVD_SEAL_KEY_LEN], svd_archive *a);

/**
 * Retire the current key pair and make a new one: the old secret key is
 * written to network/retired/STAMP.secret first, then the new one replaces
 * network/secret, so a crash between the two leaves the old key current and
 * a copy of it retired. Files sealed to the old key still open here (until
 * svd_network_forget()); from now on the other mirrors must seal to the
 * new public key.
 *
 * @param[out] pk the new public key
 * @param[out] stamp the retired key's stamp (SVD_NETWORK_STAMP_LEN + 1
 *             bytes), "" when there was no key to retire; may be NULL
 * @return 0; SVD_EEXISTS when a key was retired in this same second
 *         already (try again a second later); SVD_ELOCKED.
 */
int svd_network_rotate(uint8_t pk[SVD_SEAL_KEY_LEN], char *stamp, svd_archive *a);

/**
 * This mirror's retired keys, newest first.
 *
 * @param[out] out the caller's (free()); NULL when there are none
 * @return 0; SVD_ECORRUPT for a retired key file that does not parse or a
 *         link, FIFO or device under a retired key's name.
 */
int svd_network_retired_list(svd_network_retired **out, size_t *n, svd_archive *a);

/**
 * Forget retired keys: each file is overwritten with zeros, synced and
 * removed, and then the folder is synced. Whatever was sealed to a
 * forgotten key can no longer be opened here, nor by anyone who seizes
 * this mirror later. Leftovers of an interrupted write in retired/ go too.
 *
 * @param older_than_days only keys retired more than this many days ago;
 *        negative: all of them
 * @param[out] forgotten how many were forgotten (may be NULL)
 * @return 0; SVD_ELOCKED.
 */
int svd_network_forget(svd_archive *a, long older_than_days, size_t *forgotten);

/**
 * The network's mirrors, sorted by name.
 *
 * @param[out] out the caller's (free()); NULL when there are none
 * @return 0; SVD_ECORRUPT naming the file for a key file that does not
 *         parse, a file under a name that is not a mirror's, a link.
 */
int svd_network_mirrors(svd_network_mirror **out, size_t *n, svd_archive *a);

/**
 * Add a mirror of the network: write network/mirrors/NAME.pub.
 *
 * @return 0; SVD_EINVALID for a name that is not valid, or this mirror's
 *         own key (current or retired); SVD_ECORRUPT for a key that no
 *         exchange can use (of small order); SVD_EEXISTS when the name is
 *         taken, or the key is in the network already under another name
 *         (the message names it).
 */
int svd_network_mirror_add(svd_archive *a, const char *name, const uint8_t pk[SVD_SEAL_KEY_LEN]);

/**
 * Remove a mirror of the network. What it sealed before can no longer be
 * opened here.
 *
 * @return 0; SVD_EINVALID for a name that is not valid; SVD_ENOTFOUND.
 */
int svd_network_mirror_remove(svd_archive *a, const char *name);

/**
 * Whom to seal for "the whole network": every mirror's public key, in
 * the order of svd_network_mirrors().
 *
 * @param[out] out the caller's (free()); NULL when there are none
 */
int svd_network_recipients(uint8_t (**out)[SVD_SEAL_KEY_LEN], size_t *n, svd_archive *a);

/**
 * Read a mirror's public key file (untrusted: a link or a FIFO is
 * refused, the text must be exact).
 *
 * @return 0; SVD_ENOTFOUND; SVD_ECORRUPT saying what is wrong (and where);
 *         SVD_ETOOBIG over SVD_NETWORK_KEYFILE_MAX bytes.
 */
int svd_network_public_read(uint8_t pk[SVD_SEAL_KEY_LEN], const char *path);

/** Write a public key file, replacing path atomically (mode 0644). */
int svd_network_public_write(const uint8_t pk[SVD_SEAL_KEY_LEN], const char *path);

/**
 * The archive's key ring: the current own key (which seals) when there is
 * one, every retired own key, newest first, and every mirror of the
 * network. A command that seals calls svd_network_key_ensure() first; a
 * ring without an own key still opens what a passphrase opens.
 *
 * @param[out] out the caller's, freed with svd_seal_keys_free()
 * @return 0; SVD_ECORRUPT naming a key file that does not parse or a
 *         mirror's key of small order; SVD_ETOOBIG for more than
 *         SVD_SEAL_MAX_OWN own keys (forget old retired keys) or
 *         SVD_SEAL_MAX_MIRRORS mirrors.
 */
int svd_archive_seal_keys(svd_archive *a, svd_seal_keys **out);

/** Bytes of a stick folder's name at most (see svd_network_stick_folder_valid()). */
#define SVD_NETWORK_FOLDER_MAX 255

/**
 * 1 when folder may name the folder on a stick that holds the network's
 * sealed files: "" (the stick's root), or a relative path of 1 to
 * SVD_NETWORK_FOLDER_MAX bytes of UTF-8 whose parts, split at '/', are
 * neither empty nor "." nor "..", and hold no control character and none
 * of \ : * ? " < > | (which FAT32 sticks cannot name); else 0.
 */
int svd_network_stick_folder_valid(const char *folder);

/**
 * The folder on a stick that holds the network's sealed files
 * (network/stick-folder; stick.h). Every mirror of a network should set
 * the same one.
 *
 * @param[out] out the caller's (free()): "" for the stick's root, which is
 *             also what an archive that never set one gets
 * @return 0; SVD_ECORRUPT when the file does not hold a valid folder.
 */
int svd_network_stick_folder(char **out, svd_archive *a);

/**
 * Set the folder on a stick for the network's sealed files.
 *
 * @param folder a valid folder; "" or NULL: the stick's root (the setting
 *        is removed)
 * @return 0; SVD_EINVALID for a folder that is not valid; SVD_ELOCKED.
 */
int svd_network_stick_folder_set(svd_archive *a, const char *folder);

#ifdef __cplusplus
}
#endif

#endif
