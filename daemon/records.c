/*
 * records.c: the daemon's record of the bundles it has handled,
 * ARCHIVE/daemon-state/imported: each bundle's SHA-256, where it was last
 * seen, and what became of it, so that a bundle is imported once however
 * often it turns up (the inbox, sticks, its own bundles written onto them).
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

/* ARCHIVE/daemon-state, or a file in it, into out (the layout is the library's). */
void svdd_state_path(char *out, size_t size, const char *archive, const char *name)
{
	char *p = svd_archive_place_path(archive, SVD_PLACE_DAEMON, name, 0);

	snprintf(out, size, "%s", p ? p : "");
	free(p);
}

/* ----------------------------------------------------------------- records */

void svdd_records_clear(svdd_inbox *ib)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++)
		free(ib->rec[i].path);
	free(ib->rec);
	ib->rec = NULL;
	ib->nrec = 0;
	ib->loaded = 0;
}

static int records_add(svdd_inbox *ib, const record *r)
{
	record *grown = realloc(ib->rec, (ib->nrec + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	ib->rec = grown;
	grown[ib->nrec] = *r;
	if (!(grown[ib->nrec].path = strdup(r->path ? r->path : "-")))
		return -1;
	ib->nrec++;
	return 0;
}

/* Read ARCHIVE/daemon-state/imported once; a line that does not parse is skipped. */
static int records_save(svdd_inbox *ib);

void svdd_records_load(svdd_inbox *ib)
{
	char path[4096], line[8192];
	int torn = 0;
	FILE *f;

	if (ib->loaded)
		return;
	ib->loaded = 1;
	svdd_state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
	if (!(f = fopen(path, "r"))) {
		if (errno != ENOENT)
			svdd_log(SVDD_WARN,
			         "%s: cannot read the bundles already imported: %s; a bundle "
			         "seen before may be imported again (harmless)",
			         path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		record r = {0};
		unsigned long long size, dev, ino;
		long long mt;
		int at = 0;

		torn = !strchr(line, '\n');
		line[strcspn(line, "\n")] = '\0';
		if (*line == '#' || !*line)
			continue;
		if (sscanf(line, "%64[0-9a-f] %llu %lld %llu %llu %15s %n", r.sha, &size, &mt, &ino,
		           &dev, r.outcome, &at) < 6 ||
		    strlen(r.sha) != HASH_HEX || !at)
			continue;
		r.size = size;
		r.mtime_ns = mt;
		r.ino = ino;
		r.dev = dev;
		r.path = line + at;
		if (records_add(ib, &r) < 0)
			break;
	}
	fclose(f);
	/* a line cut short by a crash: write the file again without it, so
	   that the next record appended does not run into it */
	if (torn)
		records_save(ib);
}

/* The record could not be written: say so (the next import of that bundle is harmless). */
static int records_warn(const char *dir)
{
	svdd_log(SVDD_WARN,
	         "%s/%s: cannot record the bundles already imported: %s; a bundle seen again "
	         "will be imported again (harmless); check that the daemon can write there",
	         dir, IMPORTED_FILE, strerror(errno));
	return -1;
}

#define RECORDS_HEAD                                                                               \
	"# samvydavd: bundles seen in the inbox and on sticks, one a line:\n"                      \
	"# sha256 size mtime-ns inode device outcome path\n"

static int record_line(char *buf, size_t size, const record *r)
{
	return snprintf(buf, size, "%s %llu %lld %llu %llu %s %s\n", r->sha,
	                (unsigned long long)r->size, (long long)r->mtime_ns,
	                (unsigned long long)r->ino, (unsigned long long)r->dev, r->outcome,
	                r->path);
}

/* Write the records atomically: a temporary file, fsync, rename, fsync the folder. */
static int records_save(svdd_inbox *ib)
{
	char dir[4096], path[4200], tmp[4300];
	FILE *f;
	size_t i;
	int fd;

	svdd_state_path(dir, sizeof(dir), ib->archive, NULL);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto fail;
	svdd_state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		goto fail;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		goto fail;
	}
	fputs(RECORDS_HEAD, f);
	for (i = 0; i < ib->nrec; i++) {
		char buf[8192];
		if (record_line(buf, sizeof(buf), &ib->rec[i]) < (int)sizeof(buf))
			fputs(buf, f);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		unlink(tmp);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		goto fail;
	}
	svdd_fsync_dir(dir);
	return 0;
fail:
	return records_warn(dir);
}

/*
 * Add one record at the end of the file and fdatasync it: one short write
 * per bundle, where writing the whole file again each time would cost
 * O(n) per bundle on an inbox of thousands. A crash mid-write leaves a
 * torn last line, which svdd_records_load() drops.
 */
static int records_append(svdd_inbox *ib, const record *r)
{
	char dir[4096], path[4200], buf[8192];
	struct stat st;
	int fd, len, fresh = 0, e = 0;

	svdd_state_path(dir, sizeof(dir), ib->archive, NULL);
	if (mkdir(dir, 0755) == 0)
		fresh = 1;
	else if (errno != EEXIST)
		goto fail;
	svdd_state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
		goto fail;
	if (fstat(fd, &st) == 0 && st.st_size == 0) {
		fresh = 1;
		if (write(fd, RECORDS_HEAD, strlen(RECORDS_HEAD)) < 0)
			e = errno;
	}
	len = record_line(buf, sizeof(buf), r);
	if (!e && len < (int)sizeof(buf) && write(fd, buf, (size_t)len) != len)
		e = errno ? errno : EIO;
	if (!e && fdatasync(fd) < 0)
		e = errno;
	close(fd);
	if (e) {
		errno = e;
		goto fail;
	}
	if (fresh)
		svdd_fsync_dir(dir);
	return 0;
fail:
	return records_warn(dir);
}

const record *svdd_record_by_stat(const svdd_inbox *ib, const struct stat *st)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++) {
		const record *r = &ib->rec[i];
		if (r->dev == (uint64_t)st->st_dev && r->ino == (uint64_t)st->st_ino &&
		    r->size == (uint64_t)st->st_size && r->mtime_ns == svdd_mtime_ns(st))
			return r;
	}
	return NULL;
}

/*
 * A file no key opened ("nokey") does not count here: the same bytes met
 * again (changed, or under another name) are tried again, since the
 * operator may have added their sender's key meanwhile. Unchanged, it is
 * still known by svdd_record_by_stat() and left alone.
 */
const record *svdd_record_by_sha(const svdd_inbox *ib, const char *sha)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++)
		if (!strcmp(ib->rec[i].sha, sha) && strcmp(ib->rec[i].outcome, "nokey"))
			return &ib->rec[i];
	return NULL;
}

void svdd_remember_file(svdd_inbox *ib, const char *sha, uint64_t size, int64_t mtime, uint64_t ino,
                        uint64_t dev, const char *outcome, const char *path)
{
	record r = {0};

	snprintf(r.sha, sizeof(r.sha), "%s", sha);
	r.size = size;
	r.mtime_ns = mtime;
	r.ino = ino;
	r.dev = dev;
	snprintf(r.outcome, sizeof(r.outcome), "%s", outcome);
	r.path = (char *)path;
	if (records_add(ib, &r) < 0)
		svdd_log(SVDD_ERROR, "inbox: out of memory");
	else
		records_append(ib, &r);
}

void svdd_remember(svdd_inbox *ib, const char *sha, const struct stat *st, const char *outcome,
                   const char *path)
{
	svdd_remember_file(ib, sha, (uint64_t)st->st_size, svdd_mtime_ns(st), (uint64_t)st->st_ino,
	                   (uint64_t)st->st_dev, outcome, path);
}

/* SHA-256 of an open file's content, from its start. */
int svdd_hash_fd(char out[HASH_HEX + 1], int fd)
{
	crypto_hash_sha256_state s;
	unsigned char buf[65536], digest[crypto_hash_sha256_BYTES];
	ssize_t n;
	off_t at = 0;

	crypto_hash_sha256_init(&s);
	while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		crypto_hash_sha256_update(&s, buf, (unsigned long long)n);
		at += n;
	}
	crypto_hash_sha256_final(&s, digest);
	sodium_bin2hex(out, HASH_HEX + 1, digest, sizeof(digest));
	return 0;
}
