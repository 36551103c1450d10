/*
 * inbox.h: the daemon's inbox — folders watched with inotify (and rescanned
 * on a timer) where bundles arrive and couriers' sticks are mounted.
 *
 * A file (plain *.tar.zst, or sealed under any name: SPEC.md, 12) is
 * imported once its size and mtime have stayed the same for [inbox] settle
 * seconds, each bundle in its own operation (one commit). A file that no
 * key opens and that is no plain bundle is refused once, not tried again
 * until it changes.
 * A bundle is remembered by the SHA-256 of its content in
 * ARCHIVE/daemon-state/imported, so the same bundle is imported once,
 * whatever its name. Source files are never changed or removed.
 *
 * A folder holding samvydav/ (or, in the sealed layout, [sticks] folder)
 * is a courier's stick. Once its files have
 * settled, the library's svd_stick_sync() (samvydav/stick.h) does the
 * exchange: its bundles are imported, a bundle of what each other mirror
 * lacks is written for it (within the stick's free space and [outbox]
 * maxsize), this mirror's have-file is written, everything is fsynced. The
 * daemon answers the library from its record of bundles seen (stick bundles
 * and the ones it wrote share ARCHIVE/daemon-state/imported with the inbox),
 * logs each step, and says when the stick may be removed.
 */
#ifndef SVDD_INBOX_H
#define SVDD_INBOX_H

#include <signal.h>
#include <stdint.h>

#include <samvydav/seal.h>

#include "config.h"

typedef struct svdd_inbox svdd_inbox;

/*
 * Start watching the configuration's inbox folders (none is fine). A folder
 * that cannot be watched is logged and left to the rescan.
 *
 * @return 0, or -1 when out of memory.
 */
int svdd_inbox_open(svdd_inbox **out, const svdd_config *c);

/*
 * The network (network.h): keys, what opens sealed bundles (the archive's
 * key ring; NULL: plain bundles only), and folder, the network's folder on
 * a stick (svd_network_stick_folder(); NULL: the stick's root), used when
 * [sticks] folder is not set. Both borrowed until the next call or
 * svdd_inbox_free().
 */
void svdd_inbox_set_network(svdd_inbox *ib, const svd_seal_keys *keys, const char *folder);

/* Follow a reloaded configuration (folders added or removed). */
void svdd_inbox_reconfigure(svdd_inbox *ib, const svdd_config *c);

/* The inotify descriptor to poll, or -1. */
int svdd_inbox_fd(const svdd_inbox *ib);

/* When (monotonic milliseconds) the inbox wants to run next; -1: never. */
int64_t svdd_inbox_due(const svdd_inbox *ib);

/* Read the pending inotify events (after poll said the fd is readable). */
void svdd_inbox_events(svdd_inbox *ib, int64_t now);

/*
 * Scan the folders and import what has settled, sync with sticks. Stops
 * between two bundles when *stop is set.
 */
void svdd_inbox_run(svdd_inbox *ib, const svdd_config *c, int64_t now, volatile sig_atomic_t *stop);

/* Free; NULL is fine. */
void svdd_inbox_free(svdd_inbox *ib);

#endif
