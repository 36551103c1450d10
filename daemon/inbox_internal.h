/*
 * inbox_internal.h: what the inbox's three files share (not part of the
 * daemon's other files): inbox.c (the folders, waiting for files to
 * settle, importing), records.c (ARCHIVE/daemon-state/imported: the
 * bundles already handled) and sticks.c (when a courier's stick is synced,
 * and its log).
 */
#ifndef SVDD_INBOX_INTERNAL_H
#define SVDD_INBOX_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include <sodium.h>

#include <samvydav/samvydav.h>

#include "config.h"
#include "inbox.h"

#define IMPORTED_FILE "imported"
#define OUTGOING_DIR  "outgoing" /* where bundles for sticks are made */
#define BUSY_RETRY_MS 5000       /* the archive's write lock is held */
#define HASH_HEX      (crypto_hash_sha256_BYTES * 2)

/* A bundle already handled: its content hash and where it was last seen. */
typedef struct record {
	char sha[HASH_HEX + 1];
	uint64_t size, dev, ino;
	int64_t mtime_ns;
	char outcome[16]; /* imported, partly, refused, nokey, duplicate, written */
	char *path;
} record;

/* A file waiting for its size and mtime to settle. */
typedef struct pending {
	char *path;
	uint64_t size, dev, ino;
	int64_t mtime_ns;
	int64_t changed; /* monotonic ms when last seen changing (or first seen) */
	int64_t retry;   /* not before this (a busy archive) */
	int seen;        /* in the current scan */
} pending;

/* A stick (FOLDER/samvydav, or the sealed layout's folder) and where its sync stands. */
typedef struct stick {
	uint64_t dev, ino;
	uint64_t print;  /* names, sizes and mtimes of its files, hashed */
	int64_t changed; /* monotonic ms when the print last changed */
	int64_t retry;
	int synced; /* this stick (dev, ino) has been synced */
} stick;

struct svdd_inbox {
	int fd; /* inotify, or -1 */
	char **folders;
	int *wd;
	stick *sticks;
	size_t nfolders;
	unsigned settle, rescan;
	int64_t next_scan;
	pending *pend;
	size_t npend;
	record *rec;
	size_t nrec;
	int loaded;
	char *archive;
	const svd_seal_keys *keys; /* what opens sealed bundles (borrowed), or NULL */
	const char *net_folder;    /* the network's folder on a stick (borrowed), or NULL */
};

/* Whose items and damage are being logged: the bundle, as the log shows it. */
typedef struct ictx {
	const char *path;
} ictx;

int svdd_fsync_dir(const char *path);

int svdd_hash_fd(char out[HASH_HEX + 1], int fd);

void svdd_log_imported(const svdd_inbox *ib, const char *path, const char *outcome,
                       const svd_bundle_stats *bs, const svd_txn_stats *ts, const char *commit);

int64_t svdd_mtime_ns(const struct stat *st);

void svdd_on_damage(uint64_t offset, uint64_t length, const char *what, void *payload);

int svdd_on_item(const svd_verdict *v, void *payload);

const record *svdd_record_by_sha(const svdd_inbox *ib, const char *sha);

const record *svdd_record_by_stat(const svdd_inbox *ib, const struct stat *st);

void svdd_records_clear(svdd_inbox *ib);

void svdd_records_load(svdd_inbox *ib);

void svdd_remember(svdd_inbox *ib, const char *sha, const struct stat *st, const char *outcome,
                   const char *path);

void svdd_remember_file(svdd_inbox *ib, const char *sha, uint64_t size, int64_t mtime, uint64_t ino,
                        uint64_t dev, const char *outcome, const char *path);

void svdd_scan_stick(svdd_inbox *ib, size_t k, const svdd_config *c, int64_t now,
                     volatile sig_atomic_t *stop);

int svdd_sealed_root(const svdd_inbox *ib, const svdd_config *c, const char *folder);

void svdd_state_path(char *out, size_t size, const char *archive, const char *name);

/* What an import came to (import_bundle in inbox.c; sticks.c reads it too). */
enum { IMP_DONE = 0, IMP_BUSY = 1, IMP_GONE = 2, IMP_FAIL = 3, IMP_CHANGED = 4 };

#endif
