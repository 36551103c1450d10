/*
 * main.c: samvydavd — the mirror daemon over libsamvydav.
 *
 *     samvydavd [-c FILE] [--check-config] [--once]
 *
 * One thread runs a table of scheduled tasks (a sync with each peer, a full
 * bundle into the outbox) and waits in poll() on a self-pipe that the
 * signal handlers write to, so that a signal is handled between two steps,
 * never in the middle of one. The HTTP service runs beside it
 * (libmicrohttpd's own threads). The library does the real work.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <samvydav/samvydav.h>
#include <samvydav/peer.h>
#include "http.h"

#include "config.h"
#include "inbox.h"
#include "log.h"

/* Exit codes (documented in samvydavd(8) and --help). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* could not start, or a task failed under --once */
	EXIT_CONFIG = 2, /* the command line or the configuration is wrong */
	EXIT_LOCKED = 5, /* another samvydavd keeps this archive */
};

#define BUSY_RETRY_S  60 /* when a samvydav command holds the write lock */
#define BUNDLE_PREFIX "samvydav-"
#define STAMP_LEN     16     /* 20261126T155411Z */
#define NEW_SUFFIX    "-new" /* samvydav-STAMP-new.tar.zst: what came since the last full one */
#define LAST_FULL     "daemon-state/outbox-last" /* main's commit at the last full bundle */
#define SEALED_NEW    "daemon-state/outbox-new"  /* names of the sealed incremental bundles */
#define WRITING_DIR   ".writing" /* in the outbox: sealed bundles while they are written */

typedef struct daemon_state daemon_state;

/* One scheduled task: a peer's sync or the outbox. */
typedef struct task {
	char name[80]; /* "peer NAME" or "outbox", for logs and to keep timers on reload */
	int (*run)(daemon_state *d, struct task *t);
	size_t peer;    /* index in the configuration's peers */
	unsigned every; /* seconds */
	int64_t due;    /* monotonic milliseconds */
} task;

struct daemon_state {
	svdd_config *conf;
	task *tasks;
	size_t ntasks;
	svd_http *http;
	svdd_inbox *inbox;
	int lock_fd;
	/* the network (network.h), loaded at start and on reload */
	svd_seal_keys *keys;                  /* the archive's key ring, or NULL: unreadable */
	uint8_t (*mirrors)[SVD_SEAL_KEY_LEN]; /* the network's mirrors, whom to seal for */
	size_t nmirrors;
	char *stick_folder; /* the network's folder on a stick ("" its root) */
};

static volatile sig_atomic_t got_stop, got_reload;
static int signal_pipe[2] = {-1, -1};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
	/* the pipe is non-blocking: when it is full, a wake-up is pending anyway */
	if (write(signal_pipe[1], &c, 1) < 0) {
	}
	errno = saved;
}

static int setup_signals(void)
{
	struct sigaction sa;
	int i;

	if (pipe(signal_pipe) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
		fcntl(signal_pipe[i], F_SETFL, O_NONBLOCK);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: the library's reads and writes go on; the loop sees the flag after */
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void drain_signal_pipe(void)
{
	char buf[64];

	while (read(signal_pipe[0], buf, sizeof(buf)) > 0) {
	}
}

/*
 * Hold ARCHIVE/daemon.lock for the daemon's whole life (flock: a killed
 * daemon never leaves it locked). This is not the archive's write lock,
 * which is taken per operation, so that samvydav commands still work while
 * the daemon runs.
 */
static int take_daemon_lock(const char *archive)
{
	char path[4096], pid[32],
	    *p = svd_archive_place_path(archive, SVD_PLACE_DAEMON_LOCK, NULL, 0);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s", p ? p : "");
	free(p);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		svdd_log(SVDD_ERROR,
		         "%s: cannot open the daemon's lock file: %s (the daemon's user "
		         "must be able to write in the archive folder)",
		         path, strerror(errno));
		return -EXIT_FAIL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK) {
			svdd_log(
			    SVDD_ERROR,
			    "%s: another samvydavd (pid %s) keeps this archive; stop it first, "
			    "or give this one another archive",
			    archive, *pid ? pid : "unknown");
			return -EXIT_LOCKED;
		}
		svdd_log(SVDD_ERROR, "%s: cannot lock: %s", path, strerror(e));
		return -EXIT_FAIL;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		svdd_log(SVDD_WARN, "%s: cannot write the pid into it: %s", path, strerror(errno));
	return fd;
}

static int open_archive(svd_archive **out, daemon_state *d, const char *what)
{
	int error = svd_archive_open(out, d->conf->archive);

	if (error < 0)
		svdd_log(SVDD_ERROR, "%s: %s", what, svd_error_last());
	return error;
}

/*
 * Load the archive's key ring and the network's mirrors, at start and on
 * reload (samvydav network changes them). An archive made before sealed
 * files gets its key pair here. When something cannot be read, the keys
 * loaded before stay in use and the error is logged.
 */
static int keys_load(daemon_state *d, const char *what)
{
	svd_archive *a = NULL;
	svd_seal_keys *keys = NULL;
	uint8_t(*mirrors)[SVD_SEAL_KEY_LEN] = NULL, pk[SVD_SEAL_KEY_LEN];
	char fp[20], *folder = NULL;
	size_t n = 0;
	int error, made = 0;

	if ((error = open_archive(&a, d, what)) < 0)
		return error;
	if ((error = svd_network_key_ensure(a, &made)) < 0 ||
	    (error = svd_archive_seal_keys(a, &keys)) < 0 ||
	    (error = svd_network_recipients(&mirrors, &n, a)) < 0 ||
	    (error = svd_network_key_public(pk, a)) < 0 ||
	    (error = svd_network_stick_folder(&folder, a)) < 0) {
		svdd_log(SVDD_ERROR,
		         "%s: the network's keys: %s; %s (fix it with samvydav network, then "
		         "reload)",
		         what, svd_error_last(),
		         d->keys ? "the keys loaded before stay in use"
		                 : "sealed bundles can be neither read nor written");
		goto cleanup;
	}
	svd_seal_fingerprint(fp, pk);
	if (made)
		svdd_log(SVDD_WARN,
		         "network: this archive had no encryption key pair; made one now, "
		         "fingerprint %s: give its public key ('samvydav -C %s network key') to "
		         "the other mirrors of the network",
		         fp, d->conf->archive);
	svdd_log(SVDD_INFO, "network: this mirror's encryption key %s; %zu mirror%s in the network",
	         fp, n, n == 1 ? "" : "s");
	svd_seal_keys_free(d->keys);
	free(d->mirrors);
	free(d->stick_folder);
	d->keys = keys;
	d->mirrors = mirrors;
	d->nmirrors = n;
	d->stick_folder = folder;
	keys = NULL;
	mirrors = NULL;
	folder = NULL;
	if (d->inbox)
		svdd_inbox_set_network(d->inbox, d->keys, d->stick_folder);

cleanup:
	svd_seal_keys_free(keys);
	free(mirrors);
	free(folder);
	svd_archive_free(a);
	return error;
}

/* Each refused item of a sync, one line per problem, as samvydav import prints them. */
static int on_peer_item(const svd_verdict *v, void *payload)
{
	const char *peer = payload, *id = svd_verdict_id(v);
	size_t i;

	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		svdd_log(SVDD_WARN, "peer %s: refused %s: %s: %s: %s", peer, id ? id : "-", file,
		         check, msg);
	}
	if (svd_verdict_ok(v))
		svdd_log(SVDD_DEBUG, "peer %s: accepted %s", peer, id ? id : "-");
	return 0;
}

/*
 * Whether a library message already names the peer ("peer NAME (URL): ..."),
 * so that the log line does not name it twice.
 */
static int names_peer(const char *msg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(msg, "peer ", 5) && !strncmp(msg + 5, name, n) &&
	       (msg[5 + n] == ' ' || msg[5 + n] == ':');
}

/*
 * Sync with one peer: fetch into quarantine, gate, stage, one commit. The
 * archive is opened afresh for every run, so the trust list is always the
 * one on disk (an operator may have changed it with samvydav trust).
 */
static int task_peer(daemon_state *d, task *t)
{
	const svdd_peer *p = &d->conf->peers[t->peer];
	svd_peer_opts opts = {0};
	svd_peer_stats stats = {0};
	svd_archive *a = NULL;
	svd_txn *txn = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	int error, synced;

	if ((error = open_archive(&a, d, t->name)) < 0)
		return error;
	if ((error = svd_txn_begin(&txn, a)) < 0) {
		if (error == SVD_ELOCKED) {
			svdd_log(SVDD_WARN,
			         "peer %s: the archive is busy (%s); trying again in %d s", p->name,
			         svd_error_last(), BUSY_RETRY_S);
			t->due = now_ms() + BUSY_RETRY_S * 1000;
		} else {
			svdd_log(SVDD_ERROR, "peer %s: %s", p->name, svd_error_last());
		}
		goto cleanup;
	}
	opts.item = on_peer_item;
	opts.payload = p->name;
	opts.timeout_s = p->timeout;
	opts.max_bytes = p->maxsize;
	svdd_log(SVDD_DEBUG, "peer %s: syncing with %s", p->name, p->url);
	synced = svd_peer_sync(txn, p->name, p->url, &opts, &stats);
	if (synced < 0 && synced != SVD_ECORRUPT) {
		error = synced;
		if (names_peer(svd_error_last(), p->name))
			svdd_log(SVDD_ERROR, "%s; main is unchanged, trying again in %u s",
			         svd_error_last(), p->every);
		else
			svdd_log(SVDD_ERROR,
			         "peer %s (%s): %s; main is unchanged, trying again in %u s",
			         p->name, p->url, svd_error_last(), p->every);
		goto cleanup;
	}
	if ((error = svd_txn_commit(txn, NULL, commit)) < 0) {
		svdd_log(SVDD_ERROR, "peer %s: cannot commit what was fetched: %s", p->name,
		         svd_error_last());
		goto cleanup;
	}
	if (stats.rewritten)
		svdd_log(SVDD_WARN,
		         "peer %s: its main no longer holds the history it sent before (the peer "
		         "rewrote it); only its items are ever taken, so nothing here changes",
		         p->name);
	svdd_log(stats.refused ? SVDD_WARN : SVDD_INFO,
	         "peer %s: %zu new, %zu accepted, %zu refused, %llu bytes received; main at %.12s",
	         p->name, stats.seen, stats.accepted, stats.refused,
	         (unsigned long long)stats.bytes, commit);
	error = synced;

cleanup:
	svd_txn_free(txn);
	svd_archive_free(a);
	return error;
}

/* Is name one of ours: samvydav-YYYYMMDDTHHMMSSZ[-new][.N].tar.zst? Then its stamp. */
static int bundle_stamp(char stamp[STAMP_LEN + 1], const char *name)
{
	const char *s = name + strlen(BUNDLE_PREFIX), *rest;
	int i;

	if (strncmp(name, BUNDLE_PREFIX, strlen(BUNDLE_PREFIX)) || strlen(s) < STAMP_LEN)
		return 0;
	for (i = 0; i < STAMP_LEN; i++) {
		char c = s[i];
		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9'))
			return 0;
	}
	rest = s + STAMP_LEN;
	if (!strncmp(rest, NEW_SUFFIX, strlen(NEW_SUFFIX)))
		rest += strlen(NEW_SUFFIX); /* the incremental one, pruned with its full bundle */
	if (*rest == '.' && rest[1] >= '0' && rest[1] <= '9') {
		rest++;
		while (*rest >= '0' && *rest <= '9')
			rest++;
	}
	if (strcmp(rest, ".tar.zst"))
		return 0;
	memcpy(stamp, s, STAMP_LEN);
	stamp[STAMP_LEN] = '\0';
	return 1;
}

/*
 * Is name a sealed bundle's: SVD_SEAL_NAME_LEN lowercase hex digits (svd_seal_name),
 * and .N for a part of a split one? Then the name without the part.
 */
static int sealed_base(char base[SVD_SEAL_NAME_LEN + 1], const char *name)
{
	size_t i;

	for (i = 0; i < SVD_SEAL_NAME_LEN; i++)
		if (!isdigit((unsigned char)name[i]) && (name[i] < 'a' || name[i] > 'f'))
			return 0;
	if (name[i]) {
		if (name[i] != '.' || !name[i + 1])
			return 0;
		for (i++; name[i]; i++)
			if (!isdigit((unsigned char)name[i]))
				return 0;
	}
	memcpy(base, name, SVD_SEAL_NAME_LEN);
	base[SVD_SEAL_NAME_LEN] = '\0';
	return 1;
}

/*
 * One of the outbox's bundle files. Plain ones go by the stamp in their
 * name; sealed ones have random names (SPEC.md, 12.6) and go by their
 * modification time, and their incremental bundles are told apart by the
 * names in daemon-state/outbox-new.
 */
typedef struct outfile {
	char name[64];
	char group[STAMP_LEN + 1]; /* the stamp, or the sealed name without its part */
	int64_t t;                 /* ns: the stamp's time, or the group's newest mtime */
	int full;                  /* a full bundle: counts for keep */
} outfile;

/* The sealed incremental bundles' names, from daemon-state/outbox-new ("" for none). */
static char *sealed_new_read(const char *archive)
{
	char path[4096], line[64], *list = NULL, *grown;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", archive, SEALED_NEW);
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line) != SVD_SEAL_NAME_LEN ||
			    !(grown = realloc(list, len + SVD_SEAL_NAME_LEN + 2)))
				continue;
			list = grown;
			len += (size_t)sprintf(list + len, "%s\n", line);
		}
		fclose(f);
	}
	return list;
}

static int sealed_new_has(const char *list, const char *base)
{
	const char *p;

	for (p = list; p && (p = strstr(p, base)); p++)
		if ((p == list || p[-1] == '\n') && p[SVD_SEAL_NAME_LEN] == '\n')
			return 1;
	return 0;
}

/*
 * The bundle files of the outbox (files it did not name are not listed). A
 * split export (maxsize) is several files of one group: it counts once.
 */
static int outbox_list(outfile **out, size_t *n, const char *folder, const char *archive)
{
	DIR *dir = opendir(folder);
	struct dirent *e;
	struct stat st;
	struct tm tm;
	outfile *list = NULL, *grown, f;
	char *news;
	size_t count = 0, i, j;

	*out = NULL;
	*n = 0;
	if (!dir)
		return svd_error_set(SVD_ERROR, "%s: cannot read the outbox: %s", folder,
		                     strerror(errno));
	news = sealed_new_read(archive);
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		memset(&f, 0, sizeof(f));
		if (len >= sizeof(f.name))
			continue;
		if (bundle_stamp(f.group, e->d_name)) {
			memset(&tm, 0, sizeof(tm));
			if (sscanf(f.group, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
			           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
				continue;
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			f.t = (int64_t)timegm(&tm) * 1000000000;
			f.full = 1; /* its incremental bundle has its stamp: one group */
		} else if (sealed_base(f.group, e->d_name) &&
		           fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		           S_ISREG(st.st_mode)) {
			f.t = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
			f.full = !sealed_new_has(news, f.group);
		} else {
			continue;
		}
		memcpy(f.name, e->d_name, len + 1); /* fits: measured above */
		if (!(grown = realloc(list, (count + 1) * sizeof(*grown)))) {
			free(list);
			free(news);
			closedir(dir);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		list = grown;
		list[count++] = f;
	}
	closedir(dir);
	free(news);
	/* the parts of a sealed bundle: the group's time is its newest part's */
	for (i = 0; i < count; i++)
		for (j = 0; j < count; j++)
			if (!strcmp(list[i].group, list[j].group) && list[j].t > list[i].t)
				list[i].t = list[j].t;
	*out = list;
	*n = count;
	return 0;
}

static int cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The times of the full bundles, distinct, oldest first (the caller's, free()). */
static int64_t *full_times(const outfile *list, size_t n, size_t *nruns)
{
	int64_t *t = malloc((n + 1) * sizeof(*t));
	size_t i, k = 0;

	*nruns = 0;
	if (!t)
		return NULL;
	for (i = 0; i < n; i++)
		if (list[i].full)
			t[k++] = list[i].t;
	if (k)
		qsort(t, k, sizeof(*t), cmp_time);
	for (i = 0, *nruns = 0; i < k; i++)
		if (!*nruns || t[*nruns - 1] != t[i])
			t[(*nruns)++] = t[i];
	return t;
}

/* Write daemon-state/outbox-new again with only the names still in the outbox. */
static void sealed_new_prune(const char *archive, const outfile *list, size_t n, const char *gone)
{
	char path[4096], tmp[4200], *news = sealed_new_read(archive);
	const char *p;
	size_t i;
	FILE *f;

	if (!news)
		return;
	snprintf(path, sizeof(path), "%s/%s", archive, SEALED_NEW);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w"))) {
		for (p = news; *p; p += SVD_SEAL_NAME_LEN + 1) {
			int kept = 0;
			for (i = 0; i < n && !kept; i++)
				kept = !gone[i] && !strncmp(list[i].group, p, SVD_SEAL_NAME_LEN);
			if (kept)
				fprintf(f, "%.*s\n", SVD_SEAL_NAME_LEN, p);
		}
		if (fclose(f) != 0 || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(news);
}

/*
 * Remove every file of the bundles older than the newest keep full ones:
 * all that is not newer than the newest full bundle that goes, so that an
 * incremental bundle goes with the full one it followed.
 */
static void outbox_prune(const char *folder, const char *archive, unsigned keep)
{
	outfile *list;
	int64_t *runs;
	size_t n, nruns, i;
	char path[4096], *gone;

	if (outbox_list(&list, &n, folder, archive) < 0) {
		svdd_log(SVDD_WARN, "outbox: %s; nothing pruned", svd_error_last());
		return;
	}
	if (!(runs = full_times(list, n, &nruns)) || !(gone = calloc(n + 1, 1))) {
		svdd_log(SVDD_WARN, "outbox: out of memory; nothing pruned");
		free(runs);
		free(list);
		return;
	}
	for (i = 0; nruns > keep && i < n; i++) {
		if (list[i].t > runs[nruns - keep - 1])
			continue;
		snprintf(path, sizeof(path), "%s/%s", folder, list[i].name);
		if (unlink(path) < 0 && errno != ENOENT) {
			svdd_log(SVDD_WARN, "outbox: cannot remove %s: %s", path, strerror(errno));
			continue;
		}
		gone[i] = 1;
		svdd_log(SVDD_INFO, "outbox: removed %s (keeping %u)", path, keep);
	}
	sealed_new_prune(archive, list, n, gone);
	free(gone);
	free(runs);
	free(list);
}

/* Seconds since the newest bundle of the outbox was written, or -1 for none. */
static int64_t outbox_age(const char *folder, const char *archive)
{
	outfile *list;
	size_t n, i;
	int64_t newest = -1, age;

	if (outbox_list(&list, &n, folder, archive) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (list[i].t > newest)
			newest = list[i].t;
	free(list);
	if (newest < 0)
		return -1;
	age = (int64_t)time(NULL) - newest / 1000000000;
	return age < 0 ? 0 : age;
}

/* The commit main was at when the last full bundle was written, or "". */
static void last_full_read(char out[SVD_COMMIT_HEX_LEN + 1], const char *archive)
{
	char path[4096], buf[SVD_COMMIT_HEX_LEN + 2] = "";
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", archive, LAST_FULL);
	if (!(f = fopen(path, "r")))
		return;
	if (fgets(buf, sizeof(buf), f) && strspn(buf, "0123456789abcdef") == SVD_COMMIT_HEX_LEN) {
		memcpy(out, buf, SVD_COMMIT_HEX_LEN);
		out[SVD_COMMIT_HEX_LEN] = '\0';
	}
	fclose(f);
}

/* Remember main's commit at this full bundle: temporary name, fsync, rename. */
static void last_full_write(const char *archive, const char *commit)
{
	char dir[4096], path[4096], tmp[4200];
	FILE *f;
	int fd, ok;

	snprintf(dir, sizeof(dir), "%s/daemon-state", archive);
	snprintf(path, sizeof(path), "%s/%s", archive, LAST_FULL);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		svdd_log(SVDD_WARN, "outbox: cannot make %s: %s", dir, strerror(errno));
		return;
	}
	if (!(f = fopen(tmp, "w"))) {
		svdd_log(SVDD_WARN, "outbox: cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	ok = fprintf(f, "%s\n", commit) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		svdd_log(SVDD_WARN, "outbox: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Whom the outbox seals for: *out NULL for plain bundles ([outbox] sealed
 * = no, or auto with no mirror in the network). An outbox meant to be
 * sealed whose keys cannot be read writes nothing, never plain bundles.
 */
static int outbox_seal_to(const svd_seal_to **out, svd_seal_to *to, daemon_state *d)
{
	svdd_sealed mode = d->conf->outbox_sealed;

	*out = NULL;
	if (mode == SVDD_SEALED_NO)
		return 0;
	if (!d->keys || !svd_seal_keys_own_count(d->keys))
		keys_load(d, "outbox"); /* a key file fixed, or a lock held at start */
	if (!d->keys)
		return svd_error_set(SVD_ERROR,
		                     "the network's keys cannot be read (see above), so whether "
		                     "to seal is unknown: no bundle is written");
	if (mode == SVDD_SEALED_AUTO && !d->nmirrors)
		return 0;
	if (!svd_seal_keys_own_count(d->keys))
		return svd_error_set(SVD_ERROR, "this mirror has no encryption key pair: no "
		                                "sealed bundle can be written");
	if (d->nmirrors > SVD_SEAL_MAX_TO)
		return svd_error_set(SVD_ERROR,
		                     "the network has %zu mirrors; a bundle is sealed for at most "
		                     "%d (set [outbox] sealed = no, or remove mirrors)",
		                     d->nmirrors, SVD_SEAL_MAX_TO);
	memset(to, 0, sizeof(*to));
	to->from = d->keys; /* this mirror gets a slot of its own */
	to->mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN])d->mirrors;
	to->nmirrors = d->nmirrors;
	*out = to;
	return 0;
}

/* Remove what an interrupted run left in OUTBOX/.writing (sealed bytes only). */
static void writing_clean(const char *dir)
{
	char path[4400];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (unlink(path) == 0)
				svdd_log(SVDD_INFO,
				         "outbox: removed %s, left by a run that was cut short",
				         path);
		}
	closedir(d);
}

/*
 * Write a bundle into the outbox under name. A plain one the library writes
 * in place (a temporary name, fsync, rename). A sealed one is written in
 * OUTBOX/.writing and moved into the outbox when whole: the sealed
 * writer's temporary files have random names too, which nothing (such as
 * /bundle/latest) could tell from a finished bundle.
 */
static int outbox_export(svd_archive *a, const char *outbox, const char *name,
                         const svd_export_opts *opts, svd_export_result *result)
{
	char dir[4200], path[4400], dest[4400];
	size_t i;
	int error = 0, fd;

	if (!opts->seal) {
		snprintf(path, sizeof(path), "%s/%s", outbox, name);
		return svd_export(a, path, opts, result);
	}
	snprintf(dir, sizeof(dir), "%s/%s", outbox, WRITING_DIR);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot make the folder: %s", dir,
		                     strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((error = svd_export(a, path, opts, result)) < 0)
		return error;
	for (i = 0; i < result->nfiles; i++) {
		const char *base = strrchr(result->files[i], '/');
		char *moved;
		snprintf(dest, sizeof(dest), "%s/%s", outbox, base ? base + 1 : result->files[i]);
		if (error < 0 || rename(result->files[i], dest) < 0) {
			if (error == 0)
				error = svd_error_set(SVD_ERROR, "%s: cannot move it into %s: %s",
				                      result->files[i], outbox, strerror(errno));
			unlink(result->files[i]);
			continue;
		}
		if ((moved = strdup(dest))) {
			free(result->files[i]);
			result->files[i] = moved;
		}
	}
	if ((fd = open(outbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return error;
}

/* Note a sealed incremental bundle's name before it is written (outbox_list reads it). */
static void sealed_new_add(const char *archive, const char *name)
{
	char dir[4096], path[4096];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/daemon-state", archive);
	snprintf(path, sizeof(path), "%s/%s", archive, SEALED_NEW);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || !(f = fopen(path, "a"))) {
		svdd_log(SVDD_WARN,
		         "outbox: cannot write %s: %s (the incremental bundle counts as "
		         "a full one for keep)",
		         path, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", name);
	fclose(f);
}

/*
 * The incremental bundle: what main gained since the last full bundle, for a
 * courier or a peer that took that one: new items whole, and signature
 * updates of items signed again since. Written before the full bundle, so
 * the full one stays the newest (/bundle/latest).
 */
static void outbox_new(svd_archive *a, const daemon_state *d, const svd_seal_to *seal,
                       const char *stamp, const char *since, const char *head)
{
	svd_export_opts opts = {0};
	svd_export_result result = {0};
	char name[64], path[4200];

	if (!since[0] || !head[0] || !strcmp(since, head))
		return;
	if (seal) {
		svd_seal_name(name);
		sealed_new_add(d->conf->archive, name);
	} else {
		snprintf(name, sizeof(name), "%s%s%s.tar.zst", BUNDLE_PREFIX, stamp, NEW_SUFFIX);
	}
	snprintf(path, sizeof(path), "%s/%s", d->conf->outbox, name);
	opts.since_commit = since;
	opts.max_size = d->conf->outbox_maxsize;
	opts.threads = 1;
	opts.seal = seal;
	if (outbox_export(a, d->conf->outbox, name, &opts, &result) < 0)
		svdd_log(SVDD_WARN, "outbox: cannot write %s (the full bundle still goes): %s",
		         path, svd_error_last());
	else
		svdd_log(
		    SVDD_INFO,
		    "outbox: wrote %s%s: %zu items new since the last full bundle, %zu signature "
		    "updates",
		    path, seal ? " (sealed)" : "", result.items, result.updates);
	svd_export_result_clear(&result);
}

/*
 * Write a full bundle into the outbox, and before it the incremental one,
 * sealed for the network or plain ([outbox] sealed). The library writes
 * each file under a temporary name, fsyncs and renames it, so a reader of
 * the outbox (or /bundle/latest) never sees half a bundle.
 */
static int task_outbox(daemon_state *d, task *t)
{
	svd_export_opts opts = {0};
	svd_export_result result = {0};
	svd_archive *a = NULL;
	svd_seal_to to;
	const svd_seal_to *seal;
	char name[64], path[4200], stamp[STAMP_LEN + 1], dir[4096];
	char head[SVD_COMMIT_HEX_LEN + 1] = "", since[SVD_COMMIT_HEX_LEN + 1];
	time_t now = time(NULL);
	struct tm tm;
	int error;

	(void)t;
	if ((error = outbox_seal_to(&seal, &to, d)) < 0) {
		svdd_log(SVDD_ERROR, "outbox: %s", svd_error_last());
		return error;
	}
	if ((error = open_archive(&a, d, "outbox")) < 0)
		return error;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (seal) {
		snprintf(dir, sizeof(dir), "%s/%s", d->conf->outbox, WRITING_DIR);
		writing_clean(dir);
		svd_seal_name(name); /* no time, no project, no extension: SPEC.md, 12.6 */
	} else {
		snprintf(name, sizeof(name), "%s%s.tar.zst", BUNDLE_PREFIX, stamp);
	}
	snprintf(path, sizeof(path), "%s/%s", d->conf->outbox, name);
	opts.max_size = d->conf->outbox_maxsize;
	opts.threads = 1; /* a background job: leave the cores to readers */
	opts.seal = seal;
	if (svd_store_head(head, a) < 0)
		head[0] = '\0'; /* an archive with nothing yet */
	last_full_read(since, d->conf->archive);
	outbox_new(a, d, seal, stamp, since, head);
	if ((error = outbox_export(a, d->conf->outbox, name, &opts, &result)) < 0) {
		svdd_log(SVDD_ERROR, "outbox: cannot write %s: %s", path, svd_error_last());
		goto cleanup;
	}
	if (seal)
		svdd_log(SVDD_INFO,
		         "outbox: wrote %s: %zu items in %zu file%s, %llu bytes, sealed for this "
		         "mirror and %zu of the network",
		         path, result.items, result.nfiles, result.nfiles == 1 ? "" : "s",
		         (unsigned long long)result.bytes, seal->nmirrors);
	else
		svdd_log(SVDD_INFO, "outbox: wrote %s: %zu items in %zu file%s, %llu bytes", path,
		         result.items, result.nfiles, result.nfiles == 1 ? "" : "s",
		         (unsigned long long)result.bytes);
	if (head[0])
		last_full_write(d->conf->archive, head);
	outbox_prune(d->conf->outbox, d->conf->archive, d->conf->outbox_keep);

cleanup:
	svd_export_result_clear(&result);
	svd_archive_free(a);
	return error;
}

/*
 * Build the task table from the configuration. A task that was in the old
 * table under the same name keeps its timer; a new peer syncs at once; the
 * outbox is due one period after its newest bundle, so restarts do not
 * write a bundle each.
 */
static int build_tasks(daemon_state *d, const task *old, size_t nold)
{
	const svdd_config *c = d->conf;
	int64_t now = now_ms();
	task *tasks;
	size_t n = 0, i, j;

	if (!(tasks = calloc(c->npeers + 1, sizeof(*tasks))))
		return -1;
	for (i = 0; i < c->npeers; i++, n++) {
		snprintf(tasks[n].name, sizeof(tasks[n].name), "peer %s", c->peers[i].name);
		tasks[n].run = task_peer;
		tasks[n].peer = i;
		tasks[n].every = c->peers[i].every;
		tasks[n].due = now;
	}
	if (c->outbox) {
		int64_t age = outbox_age(c->outbox, c->archive);
		snprintf(tasks[n].name, sizeof(tasks[n].name), "outbox");
		tasks[n].run = task_outbox;
		tasks[n].every = c->outbox_every;
		tasks[n].due =
		    age < 0 || age >= c->outbox_every ? now : now + (c->outbox_every - age) * 1000;
		n++;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < nold; j++)
			if (!strcmp(tasks[i].name, old[j].name) &&
			    strcmp(tasks[i].name, "outbox")) {
				/* the same peer: one period from its last run, at the new pace */
				int64_t last = old[j].due - (int64_t)old[j].every * 1000;
				tasks[i].due = last + (int64_t)tasks[i].every * 1000;
			}
	d->tasks = tasks;
	d->ntasks = n;
	return 0;
}

/* What the HTTP service reports on its own (svd_http_log_fn): its levels are the log's. */
static void http_log(void *cls, int level, const char *msg)
{
	(void)cls;
	svdd_log(level <= SVDD_ERROR  ? SVDD_ERROR
	         : level <= SVDD_WARN ? SVDD_WARN
	         : level <= SVDD_INFO ? SVDD_INFO
	                              : SVDD_DEBUG,
	         "%s", msg);
}

/* The site's builder says what it did (site.h): into the daemon's log. */
static void site_log(svd_site_level level, const char *msg, void *payload)
{
	(void)payload;
	svdd_log(level == SVD_SITE_LOG_ERROR  ? SVDD_ERROR
	         : level == SVD_SITE_LOG_WARN ? SVDD_WARN
	                                      : SVDD_INFO,
	         "%s", msg);
}

static int http_start(daemon_state *d)
{
	const svdd_config *c = d->conf;
	svd_http_opts opts = {0};
	svd_site_opts site = {0};
	int error;

	if (!c->http_enabled)
		return 0;
	opts.address = c->http_address;
	opts.port = c->http_port;
	opts.max_connections = c->http_maxconnections;
	opts.per_ip = c->http_peraddress;
	opts.timeout_s = c->http_timeout;
	opts.header_timeout_s = c->http_headertimeout;
	opts.log = http_log;
	opts.outbox = c->outbox;
	site.log = site_log;
	site.send_max = c->http_sendmemory;
	opts.site = &site;
	if ((error = svd_http_start(&d->http, c->archive, &opts)) < 0) {
		/* the library's message names the address and port already */
		svdd_log(SVDD_ERROR, "%s; change [http] listen in %s, or set enabled = false",
		         svd_error_last(), c->file);
		return error;
	}
	svdd_log(SVDD_INFO,
	         "http: serving %s on %s port %u (at most %u connections, %u from one address; "
	         "headers within %u s)",
	         c->archive, c->http_address, (unsigned)svd_http_port(d->http),
	         svd_http_max_connections(d->http), c->http_peraddress, c->http_headertimeout);
	return 0;
}

static void http_stop(daemon_state *d)
{
	if (d->http) {
		svd_http_stop(d->http);
		d->http = NULL;
		svdd_log(SVDD_INFO, "http: stopped");
	}
}

/*
 * SIGHUP: read the file again. A file that does not check out is logged
 * and the configuration in use is kept whole, never half-applied.
 */
static void reload(daemon_state *d)
{
	svdd_config *fresh = NULL, *prev;
	task *old = d->tasks;
	size_t nold = d->ntasks;

	if (svdd_config_load(&fresh, d->conf->file) < 0) {
		svdd_log(SVDD_ERROR, "reload: %s; keeping the configuration in use",
		         svd_error_last());
		return;
	}
	if (strcmp(fresh->archive, d->conf->archive)) {
		svdd_log(SVDD_ERROR,
		         "reload: %s: [archive] path changed from %s to %s; the archive cannot "
		         "change while the daemon runs: restart it (keeping the configuration "
		         "in use)",
		         fresh->file, d->conf->archive, fresh->archive);
		svdd_config_free(fresh);
		return;
	}
	prev = d->conf;
	d->conf = fresh;
	svdd_log_set_level(fresh->log_level);
	if (build_tasks(d, old, nold) < 0) {
		svdd_log(SVDD_ERROR, "reload: out of memory; keeping the configuration in use");
		d->conf = prev;
		svdd_config_free(fresh);
		return;
	}
	free(old);
	svdd_inbox_reconfigure(d->inbox, fresh);
	keys_load(d, "reload"); /* mirrors added or removed, a key rotated */
	if (svdd_config_http_changed(prev, fresh)) {
		http_stop(d);
		if (http_start(d) < 0) {
			/* go back to what worked, rather than serving nobody */
			d->conf = prev;
			if (http_start(d) == 0)
				svdd_log(SVDD_WARN, "http: kept the previous settings");
			d->conf = fresh;
		}
	}
	svdd_config_free(prev);
	svdd_log(SVDD_INFO, "reload: %s read; %zu task%s", fresh->file, d->ntasks,
	         d->ntasks == 1 ? "" : "s");
}

/* Run every task that is due; stop between tasks when asked to. */
static void run_due(daemon_state *d)
{
	size_t i;
	int64_t started;

	for (i = 0; i < d->ntasks && !got_stop; i++) {
		task *t = &d->tasks[i];
		if (t->due > now_ms())
			continue;
		started = now_ms();
		t->due = started + (int64_t)t->every * 1000;
		t->run(d, t);
		svd_http_refresh(d->http); /* main may have moved: the pages follow */
		svdd_log(SVDD_DEBUG, "%s: done in %lld ms; next in %u s", t->name,
		         (long long)(now_ms() - started), t->every);
	}
}

static int main_loop(daemon_state *d)
{
	struct pollfd pfd[2];
	int64_t next, wait, inbox_due;
	size_t i;

	pfd[0].fd = signal_pipe[0];
	pfd[0].events = POLLIN;
	pfd[1].events = POLLIN;
	while (!got_stop) {
		if (got_reload) {
			got_reload = 0;
			reload(d);
			svd_http_refresh(d->http);
		}
		run_due(d);
		inbox_due = svdd_inbox_due(d->inbox);
		if (!got_stop && inbox_due >= 0 && inbox_due <= now_ms()) {
			svdd_inbox_run(d->inbox, d->conf, now_ms(), &got_stop);
			svd_http_refresh(d->http);
		}
		if (got_stop || got_reload)
			continue;
		next = svdd_inbox_due(d->inbox);
		for (i = 0; i < d->ntasks; i++)
			if (next < 0 || d->tasks[i].due < next)
				next = d->tasks[i].due;
		wait = next < 0 ? -1 : next - now_ms();
		if (wait < 0 && next >= 0)
			wait = 0;
		if (wait > 3600 * 1000)
			wait = 3600 * 1000; /* look at the clock at least once an hour */
		pfd[1].fd = svdd_inbox_fd(d->inbox);
		pfd[1].revents = 0;
		if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, (int)wait) < 0 && errno != EINTR) {
			svdd_log(SVDD_ERROR, "poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		drain_signal_pipe();
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN))
			svdd_inbox_events(d->inbox, now_ms());
	}
	svdd_log(SVDD_INFO, "stopping");
	return EXIT_OK;
}

/* --once: every task once, in order, whatever their timers; for tests and cron. */
static int run_once(daemon_state *d)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < d->ntasks && !got_stop; i++)
		if (d->tasks[i].run(d, &d->tasks[i]) < 0)
			failed = 1;
	return failed ? EXIT_FAIL : EXIT_OK;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: samvydavd [-c FILE] [--check-config] [--once]\n"
	             "\n"
	             "The samvydav mirror daemon: keeps an archive, syncs it with peer mirrors,\n"
	             "writes full bundles into an outbox and serves readers over HTTP.\n"
	             "\n"
	             "  -c, --config FILE  the configuration (default " SVDD_CONFIG_DEFAULT ")\n"
	             "  --check-config     check the configuration, print the effective settings\n"
	             "                     and exit\n"
	             "  --once             run every task once (peers, outbox) and exit\n"
	             "  -h, --help         show this help\n"
	             "  --version          print the version\n"
	             "\n"
	             "Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT finish the\n"
	             "step in progress and exit.\n"
	             "\n"
	             "Exit codes:\n"
	             "  0 done   1 failed (cannot start; a task failed under --once)\n"
	             "  2 wrong usage or configuration   5 another samvydavd keeps the archive\n"
	             "\n"
	             "See samvydavd(8), and samvydavd.conf.example for every setting.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'C'},
	    {"once", no_argument, NULL, 'o'},         {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *file = SVDD_CONFIG_DEFAULT, *pause_at, *hold_at;
	daemon_state d = {0};
	int check = 0, once = 0, opt, code = EXIT_FAIL;

	d.lock_fd = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("samvydavd %s\n", SVD_VERSION);
			return EXIT_OK;
		default:
			if (optopt == 'c')
				fprintf(stderr, "samvydavd: -c needs a file\n");
			else
				fprintf(stderr, "samvydavd: unknown option %s\n", argv[optind - 1]);
			fprintf(stderr, "see 'samvydavd --help'\n");
			return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "samvydavd: unexpected argument %s\nsee 'samvydavd --help'\n",
		        argv[optind]);
		return EXIT_CONFIG;
	}

	svdd_log_init();
	if (svd_init() < 0) {
		svdd_log(SVDD_ERROR, "%s", svd_error_last());
		return EXIT_FAIL;
	}
	/* the crash tests' pause point (pause.h, docs/fault-injection.md) */
	pause_at = getenv("SVD_PAUSE_AT");
	if (pause_at && *pause_at && svd_pause_stop_at(pause_at, getenv("SVD_PAUSE_FILE")) < 0) {
		svdd_log(SVDD_ERROR, "SVD_PAUSE_AT: %s", svd_error_last());
		svd_shutdown();
		return EXIT_FAIL;
	}
	/* a thread's hold point for the tests (docs/fault-injection.md, "Hold points") */
	hold_at = getenv("SVD_HOLD_AT");
	if (hold_at && *hold_at && svd_pause_hold_at(hold_at, getenv("SVD_HOLD_FILE")) < 0) {
		svdd_log(SVDD_ERROR, "SVD_HOLD_AT: %s (set SVD_HOLD_FILE too)", svd_error_last());
		svd_shutdown();
		return EXIT_FAIL;
	}
	if (svdd_config_load(&d.conf, file) < 0) {
		if (check)
			fprintf(stderr, "samvydavd: %s\n", svd_error_last());
		else
			svdd_log(SVDD_ERROR, "%s", svd_error_last());
		code = EXIT_CONFIG;
		goto cleanup;
	}
	if (check) {
		svdd_config_print(d.conf, stdout);
		fprintf(stderr, "samvydavd: %s: the configuration is good\n", file);
		code = EXIT_OK;
		goto cleanup;
	}
	svdd_log_set_level(d.conf->log_level);
	if (setup_signals() < 0) {
		svdd_log(SVDD_ERROR, "cannot set up signal handling: %s", strerror(errno));
		goto cleanup;
	}
	if ((d.lock_fd = take_daemon_lock(d.conf->archive)) < 0) {
		code = -d.lock_fd;
		goto cleanup;
	}
	/* the archive's key ring: a failure is logged, and what needs it fails alone */
	keys_load(&d, "start");
	if (build_tasks(&d, NULL, 0) < 0) {
		svdd_log(SVDD_ERROR, "out of memory");
		goto cleanup;
	}
	if (once) {
		code = run_once(&d);
		goto cleanup;
	}
	if (svdd_inbox_open(&d.inbox, d.conf) < 0) {
		svdd_log(SVDD_ERROR, "out of memory");
		goto cleanup;
	}
	svdd_inbox_set_network(d.inbox, d.keys, d.stick_folder);
	if (http_start(&d) < 0)
		goto cleanup;
	svdd_log(SVDD_INFO,
	         "samvydavd %s: archive %s, %zu peer%s, %zu inbox folder%s, outbox %s, pid %ld",
	         SVD_VERSION, d.conf->archive, d.conf->npeers, d.conf->npeers == 1 ? "" : "s",
	         d.conf->ninbox, d.conf->ninbox == 1 ? "" : "s",
	         d.conf->outbox ? d.conf->outbox : "off", (long)getpid());
	code = main_loop(&d);

cleanup:
	http_stop(&d);
	svdd_inbox_free(d.inbox);
	free(d.tasks);
	if (d.lock_fd >= 0)
		close(d.lock_fd); /* the pid stays in the file: harmless, flock is the lock */
	svd_seal_keys_free(d.keys);
	free(d.mirrors);
	free(d.stick_folder);
	svdd_config_free(d.conf);
	svd_shutdown();
	return code;
}
