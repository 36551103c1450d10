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

/* Is name one of ours: samvydav-YYYYMMDDTHHMMSSZ[.N].tar.zst? Then its stamp. */
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

static int cmp_stamp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The distinct stamps of the bundles in the outbox, oldest first. A split
 * export (maxsize) is several files with one stamp: it counts once.
 */
static int outbox_stamps(char ***out, size_t *n, const char *folder)
{
	DIR *dir = opendir(folder);
	struct dirent *e;
	char stamp[STAMP_LEN + 1], **list = NULL, **grown;
	size_t count = 0, i, j;

	*out = NULL;
	*n = 0;
	if (!dir)
		return svd_error_set(SVD_ERROR, "%s: cannot read the outbox: %s", folder,
		                     strerror(errno));
	while ((e = readdir(dir))) {
		if (!bundle_stamp(stamp, e->d_name))
			continue;
		if (!(grown = realloc(list, (count + 1) * sizeof(*grown))) ||
		    !(grown[count] = strdup(stamp))) {
			list = grown ? grown : list;
			for (i = 0; i < count; i++)
				free(list[i]);
			free(list);
			closedir(dir);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		list = grown;
		count++;
	}
	closedir(dir);
	if (count)
		qsort(list, count, sizeof(*list), cmp_stamp);
	for (i = j = 0; i < count; i++) {
		if (j && !strcmp(list[j - 1], list[i]))
			free(list[i]);
		else
			list[j++] = list[i];
	}
	*out = list;
	*n = j;
	return 0;
}

static void free_stamps(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Remove every file of the bundles older than the newest keep ones. */
static void outbox_prune(const char *folder, unsigned keep)
{
	char **stamps, stamp[STAMP_LEN + 1], path[4096];
	size_t n, i, old;
	struct dirent *e;
	DIR *dir;

	if (outbox_stamps(&stamps, &n, folder) < 0) {
		svdd_log(SVDD_WARN, "outbox: %s; nothing pruned", svd_error_last());
		return;
	}
	old = n > keep ? n - keep : 0;
	if (old && (dir = opendir(folder))) {
		while ((e = readdir(dir))) {
			if (!bundle_stamp(stamp, e->d_name))
				continue;
			for (i = 0; i < old; i++) {
				if (strcmp(stamp, stamps[i]))
					continue;
				snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
				if (unlink(path) < 0)
					svdd_log(SVDD_WARN, "outbox: cannot remove %s: %s", path,
					         strerror(errno));
				else
					svdd_log(SVDD_INFO, "outbox: removed %s (keeping %u)", path,
					         keep);
				break;
			}
		}
		closedir(dir);
	}
	free_stamps(stamps, n);
}

/* Seconds since the newest bundle of the outbox was written, or -1 for none. */
static int64_t outbox_age(const char *folder)
{
	char **stamps;
	size_t n;
	struct tm tm = {0};
	int64_t age = -1;

	if (outbox_stamps(&stamps, &n, folder) < 0 || !n) {
		free_stamps(stamps, n);
		return -1;
	}
	if (sscanf(stamps[n - 1], "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		age = (int64_t)time(NULL) - (int64_t)timegm(&tm);
		if (age < 0)
			age = 0;
	}
	free_stamps(stamps, n);
	return age;
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
 * The incremental bundle: what main gained since the last full bundle, for a
 * courier or a peer that took that one: new items whole, and signature
 * updates of items signed again since. Written before the full bundle, so
 * the full one stays the newest (/bundle/latest).
 */
static void outbox_new(svd_archive *a, const daemon_state *d, const char *stamp, const char *since,
                       const char *head)
{
	svd_export_opts opts = {0};
	svd_export_result result = {0};
	char path[4096];

	if (!since[0] || !head[0] || !strcmp(since, head))
		return;
	snprintf(path, sizeof(path), "%s/%s%s%s.tar.zst", d->conf->outbox, BUNDLE_PREFIX, stamp,
	         NEW_SUFFIX);
	opts.since_commit = since;
	opts.max_size = d->conf->outbox_maxsize;
	opts.threads = 1;
	if (svd_export(a, path, &opts, &result) < 0)
		svdd_log(SVDD_WARN, "outbox: cannot write %s (the full bundle still goes): %s",
		         path, svd_error_last());
	else
		svdd_log(
		    SVDD_INFO,
		    "outbox: wrote %s: %zu items new since the last full bundle, %zu signature "
		    "updates",
		    path, result.items, result.updates);
	svd_export_result_clear(&result);
}

/*
 * Write a full bundle into the outbox, and before it the incremental one.
 * The library writes each file under a temporary name, fsyncs and renames
 * it, so a reader of the outbox (or /bundle/latest) never sees half a bundle.
 */
static int task_outbox(daemon_state *d, task *t)
{
	svd_export_opts opts = {0};
	svd_export_result result = {0};
	svd_archive *a = NULL;
	char path[4096], stamp[STAMP_LEN + 1];
	char head[SVD_COMMIT_HEX_LEN + 1] = "", since[SVD_COMMIT_HEX_LEN + 1];
	time_t now = time(NULL);
	struct tm tm;
	int error;

	(void)t;
	if ((error = open_archive(&a, d, "outbox")) < 0)
		return error;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(path, sizeof(path), "%s/%s%s.tar.zst", d->conf->outbox, BUNDLE_PREFIX, stamp);
	opts.max_size = d->conf->outbox_maxsize;
	opts.threads = 1; /* a background job: leave the cores to readers */
	if (svd_store_head(head, a) < 0)
		head[0] = '\0'; /* an archive with nothing yet */
	last_full_read(since, d->conf->archive);
	outbox_new(a, d, stamp, since, head);
	if ((error = svd_export(a, path, &opts, &result)) < 0) {
		svdd_log(SVDD_ERROR, "outbox: cannot write %s: %s", path, svd_error_last());
		goto cleanup;
	}
	svdd_log(SVDD_INFO, "outbox: wrote %s: %zu items in %zu file%s, %llu bytes", path,
	         result.items, result.nfiles, result.nfiles == 1 ? "" : "s",
	         (unsigned long long)result.bytes);
	if (head[0])
		last_full_write(d->conf->archive, head);
	outbox_prune(d->conf->outbox, d->conf->outbox_keep);

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
		int64_t age = outbox_age(c->outbox);
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

static int http_start(daemon_state *d)
{
	const svdd_config *c = d->conf;
	svd_http_opts opts = {0};
	int error;

	if (!c->http_enabled)
		return 0;
	opts.address = c->http_address;
	opts.port = c->http_port;
	opts.max_connections = c->http_maxconnections;
	opts.timeout_s = c->http_timeout;
	opts.outbox = c->outbox;
	if ((error = svd_http_start(&d->http, c->archive, &opts)) < 0) {
		/* the library's message names the address and port already */
		svdd_log(SVDD_ERROR, "%s; change [http] listen in %s, or set enabled = false",
		         svd_error_last(), c->file);
		return error;
	}
	svdd_log(SVDD_INFO, "http: serving %s on %s port %u", c->archive, c->http_address,
	         (unsigned)svd_http_port(d->http));
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
		}
		run_due(d);
		inbox_due = svdd_inbox_due(d->inbox);
		if (!got_stop && inbox_due >= 0 && inbox_due <= now_ms())
			svdd_inbox_run(d->inbox, d->conf, now_ms(), &got_stop);
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
	const char *file = SVDD_CONFIG_DEFAULT, *pause_at;
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
	svdd_config_free(d.conf);
	svd_shutdown();
	return code;
}
