/*
 * sticks.c: couriers' sticks as the daemon sees them — when a stick's files
 * have settled, the exchange (the library's svd_stick_sync, stick.h) with
 * the daemon's record and log as its callbacks, once per stick.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <samvydav/samvydav.h>
#include <samvydav/bundle.h>

#include "inbox_internal.h"
#include "log.h"

/* ----------------------------------------------------------------- sticks */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

/* Hash the names, sizes and mtimes of the files under one stick folder. */
static uint64_t print_dir(uint64_t h, const char *dir)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return fnv(h, "-", 1);
	while ((e = readdir(d))) {
		int64_t mt;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		mt = svdd_mtime_ns(&st);
		/* order-free: a sum of per-file hashes */
		h += fnv(fnv(fnv(14695981039346656037ull, e->d_name, strlen(e->d_name)),
		             &st.st_size, sizeof(st.st_size)),
		         &mt, sizeof(mt));
	}
	closedir(d);
	return h;
}

/* What the stick's callbacks share. */
typedef struct sctx {
	svdd_inbox *ib;
	const char *root; /* FOLDER/samvydav, as the log names the stick */
	volatile sig_atomic_t *stop;
	ictx x; /* the bundle being read, for its items' lines */
	char bundle[4096];
} sctx;

/* The daemon's record answers for the library: a bundle seen before is not imported again. */
static int stick_seen(const svd_stick_file *f, void *payload)
{
	sctx *sc = payload;
	const record *known;

	svdd_records_load(sc->ib);
	if (!f->sha256) {
		struct stat st = {0};
		st.st_dev = (dev_t)f->dev;
		st.st_ino = (ino_t)f->ino;
		st.st_size = (off_t)f->size;
		st.st_mtim.tv_sec = (time_t)(f->mtime_ns / 1000000000);
		st.st_mtim.tv_nsec = (long)(f->mtime_ns % 1000000000);
		return svdd_record_by_stat(sc->ib, &st) != NULL;
	}
	if (!(known = svdd_record_by_sha(sc->ib, f->sha256)))
		return 0;
	svdd_log(SVDD_INFO,
	         "inbox: %s: the same bundle as %s (sha256 %.16s..., %s); not importing it again",
	         f->shown, known->path, f->sha256, known->outcome);
	svdd_remember_file(sc->ib, f->sha256, f->size, f->mtime_ns, f->ino, f->dev, "duplicate",
	                   f->shown);
	return 1;
}

static void stick_record(const svd_stick_file *f, const char *outcome, void *payload)
{
	sctx *sc = payload;

	svdd_remember_file(sc->ib, f->sha256, f->size, f->mtime_ns, f->ino, f->dev, outcome,
	                   f->shown);
	if (strcmp(outcome, "written"))
		svd_pause_point("inbox.recorded"); /* committed and recorded (pause.h) */
}

static int stick_item(const svd_verdict *v, void *payload)
{
	return svdd_on_item(v, &((sctx *)payload)->x);
}

static void stick_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	svdd_on_damage(offset, length, what, &((sctx *)payload)->x);
}

/* Each step of the exchange as a log line; a signal stops it between two steps. */
static int stick_step(const svd_stick_event *ev, void *payload)
{
	sctx *sc = payload;

	switch (ev->step) {
	case SVD_STICK_BUNDLE_BEGIN:
		snprintf(sc->bundle, sizeof(sc->bundle), "%s", ev->file->shown);
		break;
	case SVD_STICK_BUNDLE_IMPORTED:
		svdd_log_imported(sc->ib, ev->file->shown, ev->outcome, ev->stats, ev->txn,
		                  ev->commit);
		break;
	case SVD_STICK_BUNDLE_FAILED:
	case SVD_STICK_HAVE_REFUSED:
	case SVD_STICK_WARNING:
	case SVD_STICK_MIRROR_FAILED:
	case SVD_STICK_PARTS_LEFT:
		svdd_log(SVDD_WARN, "stick %s: %s", sc->root, ev->message);
		break;
	case SVD_STICK_MIRROR_LACKS_NOTHING:
		svdd_log(SVDD_INFO, "stick %s: mirror %s lacks nothing; no bundle for it", sc->root,
		         ev->mirror);
		break;
	case SVD_STICK_WRITTEN:
		svdd_log(SVDD_INFO, "stick: wrote %s for %s (%llu bytes)", ev->file->shown,
		         ev->mirror, (unsigned long long)ev->file->size);
		break;
	case SVD_STICK_PARTIAL_REMOVED:
		svdd_log(SVDD_INFO, "stick: removed %s, the leftover of an interrupted write",
		         ev->file->shown);
		break;
	case SVD_STICK_BUNDLE_SKIPPED:
	case SVD_STICK_HAVE_WRITTEN:
		break;
	}
	return *sc->stop ? -1 : 0;
}

/* Does this daemon use the sealed layout ([sticks] layout; auto: the network has mirrors)? */
static int sealed_layout(const svdd_inbox *ib, const svdd_config *c)
{
	if (c->stick_layout != SVDD_LAYOUT_AUTO)
		return c->stick_layout == SVDD_LAYOUT_SEALED;
	return ib->keys && svd_seal_keys_mirror_count(ib->keys) > 0;
}

/* The sealed layout's folder on a stick: [sticks] folder, else the network's ("" the root). */
static const char *sealed_folder(const svdd_inbox *ib, const svdd_config *c)
{
	return c->stick_folder ? c->stick_folder : ib->net_folder ? ib->net_folder : "";
}

/* Is folder a mount point (another device than its parent's, or /)? */
static int mount_point(const char *folder)
{
	char parent[4200];
	struct stat st, up;

	snprintf(parent, sizeof(parent), "%s/..", folder);
	if (stat(folder, &st) < 0 || stat(parent, &up) < 0)
		return 0;
	return st.st_dev != up.st_dev || st.st_ino == up.st_ino;
}

/*
 * Is folder, an inbox folder, the root of a stick whose sealed files lie
 * in its root ([sticks] folder = "")? Then it is a stick when something is
 * mounted there: nothing else tells a blank stick from a folder.
 */
int svdd_sealed_root(const svdd_inbox *ib, const svdd_config *c, const char *folder)
{
	return sealed_layout(ib, c) && !*sealed_folder(ib, c) && mount_point(folder);
}

/*
 * Sync with the stick in folder (root is how the log names it): the
 * library does the exchange (stick.h), the daemon keeps the record and the
 * log.
 */
static int stick_sync(svdd_inbox *ib, const svdd_config *c, const char *folder, const char *root,
                      volatile sig_atomic_t *stop)
{
	char scratch[4200];
	sctx sc = {0};
	svd_stick_opts so = {0};
	svd_stick_result res = {0};
	svd_archive *a = NULL;
	size_t i, mirrors = 0;
	int error, ret = 0;

	sc.ib = ib;
	sc.root = root;
	sc.stop = stop;
	sc.x.path = sc.bundle;
	svdd_log(SVDD_INFO, "stick %s: syncing", root);
	if (svd_archive_open(&a, ib->archive) < 0) {
		svdd_log(SVDD_ERROR, "stick %s: %s", root, svd_error_last());
		return IMP_FAIL;
	}
	svdd_state_path(scratch, sizeof(scratch), ib->archive, OUTGOING_DIR);
	so.max_size = c->outbox_maxsize;
	so.threads = 1;
	so.scratch = scratch;
	so.seen = stick_seen;
	so.record = stick_record;
	so.step = stick_step;
	so.item = stick_item;
	so.damage = stick_damage;
	so.payload = &sc;
	so.layout = c->stick_layout == SVDD_LAYOUT_PLAIN    ? SVD_STICK_PLAIN
	            : c->stick_layout == SVDD_LAYOUT_SEALED ? SVD_STICK_SEALED
	                                                    : SVD_STICK_AUTO;
	so.folder = c->stick_folder; /* NULL: the network's setting */
	error = svd_stick_sync(a, folder, &so, &res);
	if (error == SVD_ELOCKED) {
		svdd_log(SVDD_WARN, "stick %s: %s; trying again soon", root, svd_error_last());
		ret = IMP_BUSY;
	} else if (error < 0) {
		if (!*stop)
			svdd_log(SVDD_ERROR, "stick %s: %s", root, svd_error_last());
		ret = IMP_FAIL;
	} else {
		for (i = 0; i < res.nmirrors; i++)
			mirrors += res.mirrors[i].files > 0;
		svdd_log(SVDD_INFO,
		         "stick %s: %zu bundles read (%zu items added), %zu files written for %zu "
		         "mirror%s, have-file %s written%s; you may remove it now",
		         root, res.imported + res.skipped, res.added, res.files, mirrors,
		         mirrors == 1 ? "" : "s", res.have, res.sealed ? " (sealed)" : "");
	}
	svd_stick_result_clear(&res);
	svd_archive_free(a);
	return ret;
}

/*
 * A stick in this folder? Then sync with it once its files have settled.
 * A stick is FOLDER/samvydav (the plain layout, also read in the sealed
 * one) or, in the sealed layout, FOLDER/[sticks folder] (a folder that is
 * there), or FOLDER itself when the sealed files lie in the stick's root
 * and a device is mounted on FOLDER.
 */
void svdd_scan_stick(svdd_inbox *ib, size_t k, const svdd_config *c, int64_t now,
                     volatile sig_atomic_t *stop)
{
	char plain[4096], sealed[4400], sub[4200], shown[4096];
	const char *root = NULL, *f = sealed_folder(ib, c);
	struct stat st, pst;
	stick *s = &ib->sticks[k];
	uint64_t print;
	int is_plain;

	snprintf(plain, sizeof(plain), "%s/samvydav", ib->folders[k]);
	is_plain = stat(plain, &pst) == 0 && S_ISDIR(pst.st_mode);
	if (sealed_layout(ib, c)) {
		if (*f)
			snprintf(sealed, sizeof(sealed), "%s/%s", ib->folders[k], f);
		else
			snprintf(sealed, sizeof(sealed), "%s", ib->folders[k]);
		if ((*f ? stat(sealed, &st) == 0 && S_ISDIR(st.st_mode)
		        : mount_point(sealed) && stat(sealed, &st) == 0))
			root = sealed;
	}
	if (!root && is_plain) {
		root = plain;
		st = pst;
	}
	svdd_shown(shown, sizeof(shown), root ? root : plain);
	if (!root) {
		if (s->synced || s->print)
			svdd_log(SVDD_DEBUG, "stick %s: gone", shown);
		memset(s, 0, sizeof(*s));
		return;
	}
	if (s->dev != (uint64_t)st.st_dev || s->ino != (uint64_t)st.st_ino) {
		memset(s, 0, sizeof(*s));
		s->dev = (uint64_t)st.st_dev;
		s->ino = (uint64_t)st.st_ino;
		s->changed = now;
		svdd_log(SVDD_INFO, "stick %s: found; waiting %u s for it to settle", shown,
		         ib->settle);
	}
	if (s->synced)
		return;
	snprintf(sub, sizeof(sub), "%s/bundles", plain);
	print = print_dir(14695981039346656037ull, sub);
	snprintf(sub, sizeof(sub), "%s/have", plain);
	print = print_dir(print * 31, sub);
	if (root == sealed)
		print = print_dir(print * 31, sealed);
	if (print != s->print) {
		s->print = print;
		s->changed = now;
	}
	if (now - s->changed < (int64_t)ib->settle * 1000 || now < s->retry)
		return;
	switch (stick_sync(ib, c, ib->folders[k], shown, stop)) {
	case 0:
		s->synced = 1;
		break;
	case IMP_BUSY:
		s->retry = now + BUSY_RETRY_MS;
		break;
	default:
		s->retry = now + (int64_t)ib->rescan * 1000;
		break;
	}
}
