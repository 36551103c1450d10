/*
 * archive.c: the archive folder — init, open, the write lock, the trust
 * list's folder (trusted/; the list itself is trust.c's).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "samvydav/archive.h"
#include "samvydav/network.h"
#include "samvydav/trust.h"
#include "archive_internal.h"
#include "util.h"

static int is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int git_fail(const char *what, const char *path)
{
	const git_error *e = git_error_last();

	return svd_error_set(SVD_ERROR, "%s: %s: %s", path, what, e ? e->message : "unknown error");
}

static int mkdir_in(const char *dir, const char *name)
{
	char *p = svd_path_join(dir, name);
	int error;

	if (!p)
		return SVD_ERROR;
	error = svd_mkdir(p, 0755);
	free(p);
	return error;
}

int svd_archive_init(svd_archive **out, const char *path)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	uint8_t id[SVD_MIRROR_ID_LEN / 2];
	char hex[SVD_MIRROR_ID_LEN + 2];
	char *p = NULL;
	struct stat st;
	int error = SVD_ERROR;

	*out = NULL;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !is_empty_dir(path))
			return svd_error_set(SVD_EEXISTS,
			                     "%s: already exists and is not an empty folder; "
			                     "choose a new path",
			                     path);
	} else if (mkdir(path, 0755) < 0) {
		return svd_error_set(SVD_ERROR, "%s: cannot create folder: %s", path,
		                     strerror(errno));
	}

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKDIR;
	opts.initial_head = "main";
	opts.description = "samvydav archive: signed articles and testimony (items/)\n";
	if (!(p = svd_path_join(path, SVD_STORE_DIR)))
		goto cleanup;
	if (git_repository_init_ext(&repo, p, &opts) < 0) {
		git_fail("cannot create the git repository", p);
		goto cleanup;
	}
	free(p);
	p = NULL;
	if ((error = mkdir_in(path, SVD_TRUST_DIR)) < 0 ||
	    (error = mkdir_in(path, SVD_REFUSED_DIR)) < 0)
		goto cleanup;

	randombytes_buf(id, sizeof(id));
	svd_hex_encode(hex, id, sizeof(id));
	hex[SVD_MIRROR_ID_LEN] = '\n';
	if (!(p = svd_path_join(path, SVD_MIRROR_FILE))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = svd_file_write_atomic(p, hex, SVD_MIRROR_ID_LEN + 1, 0644, 1)) < 0)
		goto cleanup;
	if ((error = svd_dir_fsync(path)) < 0)
		goto cleanup;
	git_repository_free(repo);
	repo = NULL;
	if ((error = svd_archive_open(out, path)) < 0)
		goto cleanup;
	/* this mirror's encryption key pair, for sealed files (network.h) */
	if ((error = svd_network_key_ensure(*out, NULL)) < 0) {
		svd_archive_free(*out);
		*out = NULL;
	}
cleanup:
	free(p);
	git_repository_free(repo);
	return error;
}

static int read_mirror_id(char *out, const char *path)
{
	char *p = svd_path_join(path, SVD_MIRROR_FILE), *buf = NULL;
	size_t len, i;
	int error;

	if (!p)
		return SVD_ERROR;
	error = svd_file_read(&buf, &len, p, 256);
	if (error == SVD_ENOTFOUND)
		error = svd_error_set(SVD_ENOTFOUND,
		                      "%s: not a samvydav archive (no %s); create one with "
		                      "'samvydav init', or give its folder with -C",
		                      path, SVD_MIRROR_FILE);
	if (error < 0)
		goto cleanup;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len != SVD_MIRROR_ID_LEN) {
		error = svd_error_set(SVD_ECORRUPT, "%s: mirror id is not %d hex digits", p,
		                      SVD_MIRROR_ID_LEN);
		goto cleanup;
	}
	for (i = 0; i < len; i++) {
		if (!strchr("0123456789abcdef", buf[i])) {
			error = svd_error_set(SVD_ECORRUPT, "%s: mirror id is not hex", p);
			goto cleanup;
		}
	}
	memcpy(out, buf, len);
	out[len] = '\0';
cleanup:
	free(buf);
	free(p);
	return error;
}

/* The trust of an archive folder: trusted/, roots/ and trust-policy, whole or not at all. */
static int load_trust(svd_trust **out, const char *dir)
{
	char *trusted = svd_path_join(dir, SVD_TRUST_DIR),
	     *roots = svd_path_join(dir, SVD_ROOTS_DIR),
	     *policy = svd_path_join(dir, SVD_POLICY_FILE);
	svd_trust *t = NULL;
	int error = SVD_ERROR;

	*out = NULL;
	if (trusted && roots && policy && (error = svd_trust_load(&t, trusted)) == 0 &&
	    (error = svd_trust_load_roots(t, roots)) == 0 &&
	    (error = svd_trust_load_policy(t, policy)) == 0) {
		*out = t;
		t = NULL;
	}
	svd_trust_free(t);
	free(trusted);
	free(roots);
	free(policy);
	return error;
}

int svd_archive_open(svd_archive **out, const char *path)
{
	svd_archive *a;
	int error = SVD_ERROR;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a))))
		return svd_error_set(SVD_ERROR, "out of memory");
	a->lock_fd = -1;
	if (!(a->path = svd_strdup(path)))
		goto cleanup;
	if ((error = read_mirror_id(a->mirror_id, path)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (!(a->store_path = svd_path_join(path, SVD_STORE_DIR)) ||
	    !(a->trust_path = svd_path_join(path, SVD_TRUST_DIR)))
		goto cleanup;
	if (git_repository_open_bare(&a->repo, a->store_path) < 0) {
		error = svd_error_set(
		    SVD_ENOTFOUND, "%s: the archive's git repository cannot be opened: %s",
		    a->store_path, git_error_last() ? git_error_last()->message : "?");
		goto cleanup;
	}
	if ((error = load_trust(&a->trust, a->path)) < 0)
		goto cleanup;
	*out = a;
	a = NULL;
	error = 0;
cleanup:
	svd_archive_free(a);
	return error;
}

const char *svd_archive_path(const svd_archive *a)
{
	return a->path;
}

const char *svd_archive_mirror_id(const svd_archive *a)
{
	return a->mirror_id;
}

const svd_trust *svd_archive_trust(const svd_archive *a)
{
	return a->trust;
}

int svd_archive_lock(svd_archive *a)
{
	char *p;
	int fd;

	if (a->lock_fd >= 0)
		return 0;
	if (!(p = svd_path_join(a->path, SVD_LOCK_FILE)))
		return SVD_ERROR;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot open the lock file: %s", p, strerror(errno));
		free(p);
		return SVD_ERROR;
	}
	/* flock, not a lock file: a killed process never leaves the archive locked */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK) {
			svd_error_set(SVD_ELOCKED,
			              "%s: another samvydav process is writing to this archive; "
			              "try again when it has finished",
			              a->path);
			free(p);
			return SVD_ELOCKED;
		}
		svd_error_set(SVD_ERROR, "%s: cannot lock: %s", p, strerror(e));
		free(p);
		return SVD_ERROR;
	}
	free(p);
	a->lock_fd = fd;
	return 0;
}

void svd_archive_unlock(svd_archive *a)
{
	if (a && a->lock_fd >= 0) {
		flock(a->lock_fd, LOCK_UN);
		close(a->lock_fd);
		a->lock_fd = -1;
	}
}

static int reload_trust(svd_archive *a)
{
	svd_trust *t;
	int error = load_trust(&t, a->path);

	if (error < 0)
		return error;
	svd_trust_free(a->trust);
	a->trust = t;
	return 0;
}

/* ARCHIVE/trusted/KEYID.pub or ARCHIVE/roots/KEYID.pub. */
static char *trust_file(const svd_archive *a, const char *keyid, unsigned role)
{
	char name[SVD_KEYID_HEX_LEN + 8], *dir, *p;

	memcpy(name, keyid, SVD_KEYID_HEX_LEN);
	memcpy(name + SVD_KEYID_HEX_LEN, ".pub", 5);
	if (role != SVD_TRUST_ROOT)
		return svd_path_join(a->trust_path, name);
	if (!(dir = svd_path_join(a->path, SVD_ROOTS_DIR)))
		return NULL;
	p = svd_path_join(dir, name);
	free(dir);
	return p;
}

/* The role bits the trust list gives this key id now. */
static unsigned role_of(const svd_trust *t, const char *keyid)
{
	size_t i;

	for (i = 0; i < svd_trust_count(t); i++)
		if (!strcmp(svd_pubkey_id(svd_trust_at(t, i)), keyid))
			return svd_trust_role(t, i);
	return 0;
}

int svd_archive_trust_add(svd_archive *a, const svd_pubkey *pk)
{
	return svd_archive_trust_add_role(a, pk, SVD_TRUST_EDITOR);
}

int svd_archive_trust_add_role(svd_archive *a, const svd_pubkey *pk, unsigned role)
{
	const svd_pubkey *have = svd_trust_find(a->trust, svd_pubkey_id(pk));
	char *p, *text = NULL;
	size_t len;
	int error;

	if (role != SVD_TRUST_EDITOR && role != SVD_TRUST_ROOT)
		return svd_error_set(SVD_EINVALID, "a key is trusted as an editor or as a root");
	if (have && memcmp(svd_pubkey_bytes(have), svd_pubkey_bytes(pk), 32))
		return svd_error_set(SVD_EINVALID,
		                     "another key with the key number %s is trusted here already; "
		                     "two keys with one number are never trusted together",
		                     svd_pubkey_id(pk));
	if (have && (role_of(a->trust, svd_pubkey_id(pk)) & role))
		return svd_error_set(SVD_EEXISTS, "key %s is trusted already%s", svd_pubkey_id(pk),
		                     role == SVD_TRUST_ROOT ? " as a root" : "");
	if (role == SVD_TRUST_ROOT && (error = mkdir_in(a->path, SVD_ROOTS_DIR)) < 0)
		return error;
	if (!(p = trust_file(a, svd_pubkey_id(pk), role)))
		return SVD_ERROR;
	if ((error = svd_pubkey_format(&text, &len, pk)) == 0 &&
	    (error = svd_file_write_atomic(p, text, len, 0644, 1)) == 0)
		error = reload_trust(a);
	free(text);
	free(p);
	return error;
}

int svd_archive_trust_remove(svd_archive *a, const char *keyid)
{
	unsigned roles, r;
	int error = 0;

	if (!svd_keyid_valid(keyid))
		return svd_error_set(SVD_EINVALID,
		                     "'%s' is not a key id (16 hex digits, as minisign prints it)",
		                     keyid);
	if (!(roles = role_of(a->trust, keyid)))
		return svd_error_set(SVD_ENOTFOUND, "key %s is not trusted here", keyid);
	for (r = SVD_TRUST_EDITOR; error == 0 && r <= SVD_TRUST_ROOT; r <<= 1) {
		char *p, *dir;
		if (!(roles & r))
			continue;
		if (!(p = trust_file(a, keyid, r)))
			return SVD_ERROR;
		dir = svd_path_join(a->path, r == SVD_TRUST_ROOT ? SVD_ROOTS_DIR : SVD_TRUST_DIR);
		if (!dir)
			error = SVD_ERROR;
		else if (unlink(p) < 0)
			error =
			    svd_error_set(SVD_ERROR, "%s: cannot remove: %s", p, strerror(errno));
		else
			error = svd_dir_fsync(dir);
		free(dir);
		free(p);
	}
	if (error == 0)
		error = reload_trust(a);
	return error;
}

int svd_archive_trust_threshold(svd_archive *a, int kind, unsigned k)
{
	svd_trust *t = NULL;
	char *text = NULL, *p = NULL;
	size_t len;
	int error;

	/* a copy with the new value, written whole, then read back as every open reads it */
	if ((error = load_trust(&t, a->path)) < 0)
		return error;
	if ((error = svd_trust_set_threshold(t, kind, k)) == 0 &&
	    (error = svd_trust_policy_format(&text, &len, t)) == 0) {
		if (!(p = svd_path_join(a->path, SVD_POLICY_FILE)))
			error = SVD_ERROR;
		else if ((error = svd_file_write_atomic(p, text, len, 0644, 0)) == 0)
			error = reload_trust(a);
	}
	svd_trust_free(t);
	free(text);
	free(p);
	return error;
}

void svd_archive_free(svd_archive *a)
{
	if (!a)
		return;
	svd_archive_unlock(a);
	git_repository_free(a->repo);
	svd_trust_free(a->trust);
	free(a->path);
	free(a->store_path);
	free(a->trust_path);
	free(a);
}

char *svd_archive_place_path(const char *dir, svd_archive_place place, const char *name, int make)
{
	static const char *const names[] = {[SVD_PLACE_REFUSED] = SVD_REFUSED_DIR,
	                                    [SVD_PLACE_CACHE] = "cache",
	                                    [SVD_PLACE_TMP] = "tmp",
	                                    [SVD_PLACE_DAEMON] = "daemon-state",
	                                    [SVD_PLACE_DAEMON_LOCK] = "daemon.lock"};
	char *folder, *p;

	if ((unsigned)place >= sizeof(names) / sizeof(names[0]) || !dir) {
		svd_error_set(SVD_EINVALID, "no such place in an archive");
		return NULL;
	}
	if (!(folder = svd_path_join(dir, names[place])))
		return NULL;
	if (place == SVD_PLACE_DAEMON_LOCK)
		return folder;
	if (make && mkdir(folder, 0755) < 0 && errno != EEXIST) {
		svd_error_set(SVD_ERROR, "%s: cannot make the folder: %s", folder,
		              svd_ioerr(errno));
		free(folder);
		return NULL;
	}
	if (!name)
		return folder;
	p = svd_path_join(folder, name);
	free(folder);
	return p;
}

int svd_archive_is(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	/* no allocation: an answer that cannot fail for want of memory */
	n = snprintf(path, sizeof(path), "%s/" SVD_STORE_DIR, dir);
	if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	n = snprintf(path, sizeof(path), "%s/" SVD_MIRROR_FILE, dir);
	return n >= 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}
