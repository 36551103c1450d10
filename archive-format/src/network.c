/*
 * network.c: this mirror's encryption key pairs and the network's mirrors
 * under ARCHIVE/network/ (network.h), and the key ring made of them
 * (svd_archive_seal_keys). The key files' format is seal_key.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "samvydav/network.h"
#include "samvydav/seal.h"
#include "archive_internal.h"
#include "util.h"

#define NETWORK_DIR   "network"
#define SECRET_FILE   "secret"
#define RETIRED_DIR   "retired"
#define MIRRORS_DIR   "mirrors"
#define PUB_SUFFIX    ".pub"
#define SECRET_SUFFIX ".secret"
#define TMP_MARK      ".tmp-" /* svd_file_write_atomic()'s temporary names */
#define FOLDER_FILE   "stick-folder"

/* A name as a message shows it: control characters, '\' and bytes that are not UTF-8 as \xNN. */
static const char *shown(char *out, size_t size, const char *s)
{
	size_t o = 0, i = 0, n = strlen(s);

	while (i < n && o + 8 < size) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		int bad = c < 0x20 || c == 0x7F || c == '\\';

		if (c >= 0x80)
			bad = i + len > n || !svd_utf8_valid(s + i, len) ||
			      (c == 0xC2 && (unsigned char)s[i + 1] <= 0x9F);
		if (bad) {
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	if (i < n && o + 4 <= size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

int svd_network_name_valid(const char *name)
{
	size_t i;

	if (!name || !name[0] || name[0] == '.')
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];
		if (i == SVD_NETWORK_NAME_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ARCHIVE/network, or a file or folder in it (sub and name may be NULL). */
static char *network_path(const svd_archive *a, const char *sub, const char *name)
{
	char *dir = svd_path_join(a->path, NETWORK_DIR), *p;

	if (!dir || !sub)
		return dir;
	p = svd_path_join(dir, sub);
	free(dir);
	if (!p || !name)
		return p;
	dir = p;
	p = svd_path_join(dir, name);
	free(dir);
	return p;
}

/*
 * A folder of the network's, mode 0700 (it holds secrets), made when
 * missing. One that is there must be a folder and not a link to one
 * elsewhere.
 */
static int make_dir(const char *path)
{
	struct stat st;
	char *parent;
	int error;

	if (mkdir(path, 0700) == 0) {
		/* the umask may have narrowed it; never wider than 0700 */
		if (chmod(path, 0700) < 0)
			return svd_error_set(SVD_ERROR, "%s: cannot set its mode: %s", path,
			                     svd_ioerr(errno));
		if (!(parent = svd_path_dir(path)))
			return SVD_ERROR;
		error = svd_dir_fsync(parent);
		free(parent);
		return error;
	}
	if (errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot create folder: %s", path,
		                     svd_ioerr(errno));
	if (lstat(path, &st) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot stat: %s", path, svd_ioerr(errno));
	if (!S_ISDIR(st.st_mode))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: not a folder (a link or a file); move it away, and "
		                     "restore the folder from a backup if it was one",
		                     path);
	return 0;
}

static int make_dirs(const svd_archive *a)
{
	static const char *const subs[] = {NULL, RETIRED_DIR, MIRRORS_DIR};
	size_t i;
	int error = 0;

	for (i = 0; error == 0 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *p = network_path(a, subs[i], NULL);
		error = p ? make_dir(p) : SVD_ERROR;
		free(p);
	}
	return error;
}

/*
 * Read a key file of at most size - 1 bytes into buf (the caller's: secure
 * memory for a secret). The file is untrusted: a link, a FIFO, a device or a
 * folder is refused unread, and a FIFO does not block the open
 * (svd_file_open_regular).
 */
static int key_file_read(char *buf, size_t size, size_t *len, const char *path)
{
	struct stat st;
	size_t got = 0;
	int fd, error = SVD_ERROR;

	*len = 0;
	if ((error = svd_file_open_regular(&fd, &st, path, 1)) < 0)
		return error;
	error = SVD_ERROR;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			svd_error_set(SVD_ERROR, "%s: cannot read: %s", path, svd_ioerr(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == size) {
			error = svd_error_set(SVD_ETOOBIG,
			                      "%s: over %zu bytes, too long for a key file (a key "
			                      "file is two short lines)",
			                      path, size - 1);
			goto cleanup;
		}
	}
	*len = got;
	error = 0;
cleanup:
	close(fd);
	return error;
}

int svd_network_public_read(uint8_t pk[SVD_SEAL_KEY_LEN], const char *path)
{
	char buf[SVD_NETWORK_KEYFILE_MAX + 1];
	size_t len;
	int error;

	if ((error = key_file_read(buf, sizeof(buf), &len, path)) < 0)
		return error;
	if ((error = svd_seal_public_parse(pk, buf, len)) < 0)
		return svd_error_set(error, "%s: %s", path, svd_error_last());
	return 0;
}

int svd_network_public_write(const uint8_t pk[SVD_SEAL_KEY_LEN], const char *path)
{
	char *text = svd_seal_public_format(pk);
	int error;

	if (!text)
		return SVD_ERROR;
	error = svd_file_write_atomic(path, text, strlen(text), 0644, 0);
	free(text);
	return error;
}

/* A secret key file into sk, read and parsed in secure memory. */
static int secret_read(uint8_t sk[SVD_SEAL_KEY_LEN], const char *path)
{
	char *buf = sodium_malloc(SVD_NETWORK_KEYFILE_MAX + 1);
	size_t len = 0;
	int error;

	if (!buf)
		return svd_error_set(SVD_ERROR, "%s: out of memory", path);
	if ((error = key_file_read(buf, SVD_NETWORK_KEYFILE_MAX + 1, &len, path)) == 0 &&
	    (error = svd_seal_secret_parse(sk, buf, len)) < 0)
		error = svd_error_set(error, "%s: %s", path, svd_error_last());
	sodium_free(buf);
	return error;
}

/* Write a secret key file (0600) atomically; with exclusive set, never over another. */
static int secret_write(const char *path, const uint8_t sk[SVD_SEAL_KEY_LEN], int exclusive)
{
	char *text = svd_seal_secret_format(sk);
	int error;

	if (!text)
		return SVD_ERROR;
	error = svd_file_write_atomic(path, text, strlen(text), 0600, exclusive);
	svd_seal_secret_free(text);
	return error;
}

/* The write lock for a change, unless the caller holds it; *took says whether to release it. */
static int lock(svd_archive *a, int *took)
{
	*took = a->lock_fd < 0;
	return svd_archive_lock(a);
}

static void unlock(svd_archive *a, int took)
{
	if (took)
		svd_archive_unlock(a);
}

int svd_network_key_ensure(svd_archive *a, int *made)
{
	uint8_t *sk = sodium_malloc(SVD_SEAL_KEY_LEN), pk[SVD_SEAL_KEY_LEN];
	char *path = NULL;
	int error;

	if (made)
		*made = 0;
	if (!sk)
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = make_dirs(a)) < 0)
		goto cleanup;
	if (!(path = network_path(a, SECRET_FILE, NULL))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	error = secret_read(sk, path);
	if (error != SVD_ENOTFOUND)
		goto cleanup;
	svd_seal_keypair(pk, sk);
	/* exclusive: two processes making it at once keep the first one's */
	error = secret_write(path, sk, 1);
	if (error == SVD_EEXISTS)
		error = secret_read(sk, path);
	else if (error == 0 && made)
		*made = 1;
cleanup:
	sodium_free(sk);
	free(path);
	return error;
}

int svd_network_key_public(uint8_t pk[SVD_SEAL_KEY_LEN], svd_archive *a)
{
	uint8_t *sk = sodium_malloc(SVD_SEAL_KEY_LEN);
	char *path = network_path(a, SECRET_FILE, NULL);
	int error = SVD_ERROR;

	if (!sk || !path) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	error = secret_read(sk, path);
	if (error == SVD_ENOTFOUND)
		error = svd_error_set(SVD_ENOTFOUND,
		                      "%s: this mirror has no encryption key yet (the archive is "
		                      "older than sealed files); 'samvydav network key' makes one",
		                      a->path);
	if (error == 0)
		error = svd_seal_public(pk, sk);
cleanup:
	sodium_free(sk);
	free(path);
	return error;
}

/* YYYYMMDDTHHMMSSZ of t. */
static void stamp_format(char out[SVD_NETWORK_STAMP_LEN + 1], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, SVD_NETWORK_STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

/* A retired key file's name, STAMP.secret, into its time; -1 for any other name. */
static int stamp_parse(int64_t *t, const char *name)
{
	char again[SVD_NETWORK_STAMP_LEN + 1];
	struct tm tm;
	size_t i;
	time_t v;

	if (strlen(name) != SVD_NETWORK_STAMP_LEN + strlen(SECRET_SUFFIX) ||
	    strcmp(name + SVD_NETWORK_STAMP_LEN, SECRET_SUFFIX) || name[8] != 'T' ||
	    name[15] != 'Z')
		return -1;
	for (i = 0; i < SVD_NETWORK_STAMP_LEN; i++)
		if (i != 8 && i != 15 && (name[i] < '0' || name[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (!strptime(name, "%Y%m%dT%H%M%SZ", &tm))
		return -1;
	v = timegm(&tm);
	/* one spelling of each time: no 25th hour, no 31st of February */
	stamp_format(again, v);
	if (memcmp(again, name, SVD_NETWORK_STAMP_LEN))
		return -1;
	*t = (int64_t)v;
	return 0;
}

int svd_network_rotate(uint8_t pk[SVD_SEAL_KEY_LEN], char *stamp, svd_archive *a)
{
	uint8_t *old = sodium_malloc(SVD_SEAL_KEY_LEN), *sk = sodium_malloc(SVD_SEAL_KEY_LEN);
	char name[SVD_NETWORK_STAMP_LEN + sizeof(SECRET_SUFFIX)], *path = NULL, *retired = NULL;
	int error, took = 0, had;

	if (stamp)
		stamp[0] = '\0';
	if (!old || !sk) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = lock(a, &took)) < 0 || (error = make_dirs(a)) < 0)
		goto cleanup;
	if (!(path = network_path(a, SECRET_FILE, NULL))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	error = secret_read(old, path);
	if (error < 0 && error != SVD_ENOTFOUND)
		goto cleanup;
	had = error == 0;
	if (had) {
		stamp_format(name, time(NULL));
		memcpy(name + SVD_NETWORK_STAMP_LEN, SECRET_SUFFIX, sizeof(SECRET_SUFFIX));
		if (!(retired = network_path(a, RETIRED_DIR, name))) {
			error = SVD_ERROR;
			goto cleanup;
		}
		/* the old key is kept before it stops being current: never lost to a crash */
		error = secret_write(retired, old, 1);
		if (error == SVD_EEXISTS)
			error = svd_error_set(SVD_EEXISTS,
			                      "%s: a key was retired in this same second already; "
			                      "rotate again a second later",
			                      retired);
		if (error < 0)
			goto cleanup;
	}
	svd_seal_keypair(pk, sk);
	if ((error = secret_write(path, sk, 0)) < 0)
		goto cleanup;
	if (had && stamp) {
		memcpy(stamp, name, SVD_NETWORK_STAMP_LEN);
		stamp[SVD_NETWORK_STAMP_LEN] = '\0';
	}
	error = 0;
cleanup:
	unlock(a, took);
	sodium_free(old);
	sodium_free(sk);
	free(path);
	free(retired);
	return error;
}

static int retired_cmp(const void *x, const void *y)
{
	const svd_network_retired *p = x, *q = y;

	return strcmp(q->stamp, p->stamp); /* newest first */
}

/*
 * Every retired key file, newest first; with sks set, their secret keys
 * too (secure memory, n * SVD_SEAL_KEY_LEN bytes, the caller's to
 * sodium_free()).
 */
static int retired_load(svd_network_retired **out, size_t *n, uint8_t **sks, svd_archive *a)
{
	svd_network_retired *list = NULL;
	size_t count = 0, cap = 0, i;
	uint8_t *sk = sodium_malloc(SVD_SEAL_KEY_LEN), *keys = NULL;
	char *dir = network_path(a, RETIRED_DIR, NULL), *p = NULL;
	struct dirent *e;
	DIR *d = NULL;
	int error = SVD_ERROR;

	*out = NULL;
	*n = 0;
	if (sks)
		*sks = NULL;
	if (!sk || !dir) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (!(d = opendir(dir))) {
		error = errno == ENOENT ? 0
		                        : svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir,
		                                        svd_ioerr(errno));
		goto cleanup;
	}
	error = 0;
	while (error == 0 && (errno = 0, e = readdir(d)) != NULL) {
		svd_network_retired r;
		size_t len = strlen(e->d_name);

		if (len < strlen(SECRET_SUFFIX) ||
		    strcmp(e->d_name + len - strlen(SECRET_SUFFIX), SECRET_SUFFIX))
			continue; /* ".", "..", an interrupted write's temporary */
		memset(&r, 0, sizeof(r));
		if (!(p = svd_path_join(dir, e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		if (stamp_parse(&r.time, e->d_name) < 0) {
			char s[128];
			error = svd_error_set(
			    SVD_ECORRUPT,
			    "%s/%s: not a retired key's name (YYYYMMDDTHHMMSSZ.secret); "
			    "rename or remove it",
			    dir, shown(s, sizeof(s), e->d_name));
		} else if ((error = secret_read(sk, p)) == 0 &&
		           (error = svd_seal_public(r.pk, sk)) == 0 &&
		           (error = svd_grow(&list, &cap, count + 1, sizeof(*list), 8)) == 0) {
			memcpy(r.stamp, e->d_name, SVD_NETWORK_STAMP_LEN);
			svd_seal_fingerprint(r.fingerprint, r.pk);
			list[count++] = r;
		}
		free(p);
		p = NULL;
	}
	if (error == 0 && errno != 0)
		error = svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir, svd_ioerr(errno));
	if (error < 0)
		goto cleanup;
	if (count > 1)
		qsort(list, count, sizeof(*list), retired_cmp);
	if (sks && count > 0) {
		/* read again in order: the secret keys never sit in a sorted plain array */
		if (!(keys = sodium_malloc(count * SVD_SEAL_KEY_LEN))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		for (i = 0; error == 0 && i < count; i++) {
			char name[SVD_NETWORK_STAMP_LEN + sizeof(SECRET_SUFFIX)];
			memcpy(name, list[i].stamp, SVD_NETWORK_STAMP_LEN);
			memcpy(name + SVD_NETWORK_STAMP_LEN, SECRET_SUFFIX, sizeof(SECRET_SUFFIX));
			if (!(p = svd_path_join(dir, name)))
				error = SVD_ERROR;
			else
				error = secret_read(keys + i * SVD_SEAL_KEY_LEN, p);
			free(p);
			p = NULL;
		}
		if (error < 0)
			goto cleanup;
		*sks = keys;
		keys = NULL;
	}
	*out = list;
	*n = count;
	list = NULL;
cleanup:
	if (d)
		closedir(d);
	free(list);
	sodium_free(keys);
	sodium_free(sk);
	free(dir);
	return error;
}

int svd_network_retired_list(svd_network_retired **out, size_t *n, svd_archive *a)
{
	return retired_load(out, n, NULL, a);
}

/*
 * Overwrite a file with zeros, sync, and remove it. A link is removed
 * without following it; a FIFO or a device is not opened for writing.
 */
static int wipe(const char *path)
{
	static const uint8_t zeros[4096];
	struct stat st;
	off_t left;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0 && errno != ELOOP)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot open to overwrite: %s", path, svd_ioerr(errno));
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return svd_error_set(SVD_ECORRUPT,
			                     "%s: not a regular file; look at it and remove it by "
			                     "hand",
			                     path);
		}
		for (left = st.st_size; left > 0;) {
			size_t chunk = left > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)left;
			if (svd_write_all(fd, zeros, chunk) < 0)
				break;
			left -= (off_t)chunk;
		}
		if (left > 0 || fsync(fd) < 0) {
			int e = errno;
			close(fd);
			return svd_error_set(SVD_ERROR, "%s: cannot overwrite: %s", path,
			                     svd_ioerr(e));
		}
		close(fd);
	}
	if (unlink(path) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot remove: %s", path, svd_ioerr(errno));
	return 0;
}

int svd_network_forget(svd_archive *a, long older_than_days, size_t *forgotten)
{
	char *dir = NULL, *p = NULL;
	time_t now = time(NULL);
	struct dirent *e;
	size_t count = 0;
	DIR *d = NULL;
	int error, took = 0;

	if (forgotten)
		*forgotten = 0;
	if ((error = lock(a, &took)) < 0)
		return error;
	if (!(dir = network_path(a, RETIRED_DIR, NULL))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if (!(d = opendir(dir))) {
		error = errno == ENOENT ? 0
		                        : svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir,
		                                        svd_ioerr(errno));
		goto cleanup;
	}
	while (error == 0 && (errno = 0, e = readdir(d)) != NULL) {
		int64_t t;
		int is_key = stamp_parse(&t, e->d_name) == 0;

		/* an interrupted write's temporary holds a secret key too: it goes whatever its age */
		if (!is_key && !strstr(e->d_name, SECRET_SUFFIX TMP_MARK))
			continue;
		if (is_key && older_than_days >= 0 &&
		    (int64_t)now - t < (int64_t)older_than_days * 86400)
			continue;
		if (!(p = svd_path_join(dir, e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		if ((error = wipe(p)) == 0 && is_key)
			count++;
		free(p);
		p = NULL;
	}
	if (error == 0 && errno != 0)
		error = svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir, svd_ioerr(errno));
	/* the removals are durable before the caller is told the keys are gone */
	if (error == 0)
		error = svd_dir_fsync(dir);
cleanup:
	if (forgotten)
		*forgotten = count;
	if (d)
		closedir(d);
	unlock(a, took);
	free(dir);
	return error;
}

static int mirror_cmp(const void *x, const void *y)
{
	const svd_network_mirror *p = x, *q = y;

	return strcmp(p->name, q->name);
}

int svd_network_mirrors(svd_network_mirror **out, size_t *n, svd_archive *a)
{
	svd_network_mirror *list = NULL;
	size_t count = 0, cap = 0;
	char *dir = network_path(a, MIRRORS_DIR, NULL), *p = NULL;
	struct dirent *e;
	DIR *d = NULL;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (!dir)
		return SVD_ERROR;
	if (!(d = opendir(dir))) {
		if (errno != ENOENT)
			error =
			    svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir, svd_ioerr(errno));
		goto cleanup;
	}
	while (error == 0 && (errno = 0, e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), base = len - strlen(PUB_SUFFIX);
		svd_network_mirror m;

		if (len <= strlen(PUB_SUFFIX) || strcmp(e->d_name + base, PUB_SUFFIX))
			continue; /* ".", "..", an interrupted write's temporary */
		memset(&m, 0, sizeof(m));
		if (base <= SVD_NETWORK_NAME_MAX)
			memcpy(m.name, e->d_name, base);
		if (!(p = svd_path_join(dir, e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		if (base > SVD_NETWORK_NAME_MAX || !svd_network_name_valid(m.name)) {
			char s[128];
			error = svd_error_set(
			    SVD_ECORRUPT,
			    "%s/%s: not a mirror's name (letters, digits, '.', '_', "
			    "'-', at most %d, not starting with '.'); rename or "
			    "remove it",
			    dir, shown(s, sizeof(s), e->d_name), SVD_NETWORK_NAME_MAX);
		} else if ((error = svd_network_public_read(m.pk, p)) == 0 &&
		           (error = svd_grow(&list, &cap, count + 1, sizeof(*list), 8)) == 0) {
			svd_seal_fingerprint(m.fingerprint, m.pk);
			list[count++] = m;
		}
		free(p);
		p = NULL;
	}
	if (error == 0 && errno != 0)
		error = svd_error_set(SVD_ERROR, "%s: cannot read: %s", dir, svd_ioerr(errno));
	if (error < 0)
		goto cleanup;
	if (count > 1)
		qsort(list, count, sizeof(*list), mirror_cmp);
	*out = list;
	*n = count;
	list = NULL;
cleanup:
	if (d)
		closedir(d);
	free(list);
	free(dir);
	return error;
}

/* Can an exchange use this key? A key of small order gives an all-zero shared secret. */
static int usable(const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	uint8_t sk[SVD_SEAL_KEY_LEN], shared[SVD_SEAL_KEY_LEN];
	int ok;

	/* any scalar will do: X25519 clamps it to a multiple of 8, which kills every small order */
	randombytes_buf(sk, sizeof(sk));
	ok = crypto_scalarmult(shared, sk, pk) == 0;
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(shared, sizeof(shared));
	return ok;
}

/* 0 when pk is none of this mirror's own keys; SVD_EINVALID when it is. */
static int not_own(svd_archive *a, const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	svd_network_retired *retired = NULL;
	uint8_t own[SVD_SEAL_KEY_LEN];
	size_t n = 0, i;
	int error = svd_network_key_public(own, a);

	if (error == 0 && sodium_memcmp(own, pk, SVD_SEAL_KEY_LEN) == 0)
		return svd_error_set(SVD_EINVALID,
		                     "this is this mirror's own public key: give it to the other "
		                     "mirrors, and add theirs here");
	if (error < 0 && error != SVD_ENOTFOUND)
		return error;
	if ((error = svd_network_retired_list(&retired, &n, a)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if (sodium_memcmp(retired[i].pk, pk, SVD_SEAL_KEY_LEN) == 0)
			break;
	if (i < n)
		error = svd_error_set(SVD_EINVALID,
		                      "this is one of this mirror's own keys, retired %s: not "
		                      "another mirror's",
		                      retired[i].stamp);
	free(retired);
	return error;
}

int svd_network_mirror_add(svd_archive *a, const char *name, const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	svd_network_mirror *list = NULL;
	char file[SVD_NETWORK_NAME_MAX + sizeof(PUB_SUFFIX)], *path = NULL, *text = NULL, s[128];
	size_t n = 0, i;
	int error, took = 0;

	if (!svd_network_name_valid(name))
		return svd_error_set(SVD_EINVALID,
		                     "'%s' is not a mirror's name (1 to %d letters, digits, '.', "
		                     "'_', '-', not starting with '.')",
		                     shown(s, sizeof(s), name), SVD_NETWORK_NAME_MAX);
	if (!usable(pk))
		return svd_error_set(SVD_ECORRUPT,
		                     "the key for mirror %s is of small order: no exchange can "
		                     "use it (a damaged or forged key file; refused)",
		                     name);
	if ((error = lock(a, &took)) < 0)
		return error;
	if ((error = not_own(a, pk)) < 0 || (error = make_dirs(a)) < 0 ||
	    (error = svd_network_mirrors(&list, &n, a)) < 0)
		goto cleanup;
	/* the name first: "lviv" again is about lviv, whatever its key */
	for (i = 0; i < n; i++) {
		if (!strcmp(list[i].name, name)) {
			error = svd_error_set(SVD_EEXISTS,
			                      "mirror %s is in the network already (key %s)%s",
			                      name, list[i].fingerprint,
			                      sodium_memcmp(list[i].pk, pk, SVD_SEAL_KEY_LEN)
			                          ? "; to replace its key, remove it first "
			                            "('samvydav network remove')"
			                          : ", with this key: nothing changed");
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++) {
		if (!sodium_memcmp(list[i].pk, pk, SVD_SEAL_KEY_LEN)) {
			error =
			    svd_error_set(SVD_EEXISTS,
			                  "this key is in the network already, as mirror %s (one "
			                  "key, one name)",
			                  list[i].name);
			goto cleanup;
		}
	}
	snprintf(file, sizeof(file), "%s%s", name, PUB_SUFFIX);
	if (!(path = network_path(a, MIRRORS_DIR, file)) || !(text = svd_seal_public_format(pk))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	/* exclusive: a name taken meanwhile is not replaced */
	error = svd_file_write_atomic(path, text, strlen(text), 0644, 1);
cleanup:
	unlock(a, took);
	free(list);
	free(path);
	free(text);
	return error;
}

int svd_network_mirror_remove(svd_archive *a, const char *name)
{
	char file[SVD_NETWORK_NAME_MAX + sizeof(PUB_SUFFIX)], *path = NULL, *dir = NULL, s[128];
	int error, took = 0;

	if (!svd_network_name_valid(name))
		return svd_error_set(SVD_EINVALID,
		                     "'%s' is not a mirror's name (1 to %d letters, digits, '.', "
		                     "'_', '-', not starting with '.')",
		                     shown(s, sizeof(s), name), SVD_NETWORK_NAME_MAX);
	if ((error = lock(a, &took)) < 0)
		return error;
	snprintf(file, sizeof(file), "%s%s", name, PUB_SUFFIX);
	if (!(path = network_path(a, MIRRORS_DIR, file)) ||
	    !(dir = network_path(a, MIRRORS_DIR, NULL))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if (unlink(path) < 0) {
		error =
		    errno == ENOENT
		        ? svd_error_set(SVD_ENOTFOUND,
		                        "no mirror %s in the network ('samvydav network list' "
		                        "lists them)",
		                        name)
		        : svd_error_set(SVD_ERROR, "%s: cannot remove: %s", path, svd_ioerr(errno));
		goto cleanup;
	}
	error = svd_dir_fsync(dir);
cleanup:
	unlock(a, took);
	free(path);
	free(dir);
	return error;
}

int svd_network_recipients(uint8_t (**out)[SVD_SEAL_KEY_LEN], size_t *n, svd_archive *a)
{
	svd_network_mirror *list = NULL;
	uint8_t(*keys)[SVD_SEAL_KEY_LEN] = NULL;
	size_t count = 0, i;
	int error;

	*out = NULL;
	*n = 0;
	if ((error = svd_network_mirrors(&list, &count, a)) < 0)
		return error;
	if (count > 0 && !(keys = malloc(count * sizeof(*keys)))) {
		free(list);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	for (i = 0; i < count; i++)
		memcpy(keys[i], list[i].pk, SVD_SEAL_KEY_LEN);
	free(list);
	*out = keys;
	*n = count;
	return 0;
}

int svd_archive_seal_keys(svd_archive *a, svd_seal_keys **out)
{
	svd_network_retired *retired = NULL;
	svd_network_mirror *mirrors = NULL;
	svd_seal_keys *k = NULL;
	uint8_t *sk = sodium_malloc(SVD_SEAL_KEY_LEN), *old = NULL, cur[SVD_SEAL_KEY_LEN];
	size_t nretired = 0, nmirrors = 0, i, j;
	char *path = network_path(a, SECRET_FILE, NULL);
	int error, have_current = 0;

	*out = NULL;
	if (!sk || !path) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = svd_seal_keys_new(&k)) < 0)
		goto cleanup;
	/* the current key first: the ring's first own key is the one that seals */
	error = secret_read(sk, path);
	if (error == 0) {
		have_current = 1;
		if ((error = svd_seal_public(cur, sk)) < 0 ||
		    (error = svd_seal_keys_add_own(k, sk)) < 0)
			goto cleanup;
	} else if (error != SVD_ENOTFOUND) {
		goto cleanup;
	}
	if ((error = retired_load(&retired, &nretired, &old, a)) < 0)
		goto cleanup;
	for (i = 0; i < nretired; i++) {
		/* a rotation cut short leaves the current key retired too: once is enough */
		if (have_current && !sodium_memcmp(retired[i].pk, cur, SVD_SEAL_KEY_LEN))
			continue;
		for (j = 0; j < i; j++)
			if (!sodium_memcmp(retired[i].pk, retired[j].pk, SVD_SEAL_KEY_LEN))
				break;
		if (j < i)
			continue;
		if ((error = svd_seal_keys_add_own(k, old + i * SVD_SEAL_KEY_LEN)) < 0) {
			if (error == SVD_ETOOBIG)
				error =
				    svd_error_set(SVD_ETOOBIG,
				                  "%s: more than %d own keys, current and retired: "
				                  "forget the oldest ('samvydav network forget "
				                  "--older-than DAYS')",
				                  a->path, SVD_SEAL_MAX_OWN);
			goto cleanup;
		}
	}
	if ((error = svd_network_mirrors(&mirrors, &nmirrors, a)) < 0)
		goto cleanup;
	for (i = 0; i < nmirrors; i++) {
		if ((error = svd_seal_keys_add_mirror(k, mirrors[i].pk)) < 0) {
			error =
			    svd_error_set(error == SVD_EINVALID ? SVD_ECORRUPT : error,
			                  "%s/%s/%s%s: %s", a->path, NETWORK_DIR "/" MIRRORS_DIR,
			                  mirrors[i].name, PUB_SUFFIX, svd_error_last());
			goto cleanup;
		}
	}
	*out = k;
	k = NULL;
	error = 0;
cleanup:
	svd_seal_keys_free(k);
	sodium_free(sk);
	sodium_free(old);
	free(retired);
	free(mirrors);
	free(path);
	return error;
}

/* ----------------------------------------------------------------- the stick folder */

int svd_network_stick_folder_valid(const char *folder)
{
	size_t n, i, part = 0;

	if (!folder)
		return 0;
	if (!*folder)
		return 1;
	n = strlen(folder);
	if (n > SVD_NETWORK_FOLDER_MAX || !svd_utf8_valid(folder, n))
		return 0;
	for (i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)folder[i];
		if (c == '/' || c == '\0') {
			size_t len = i - part;
			if (len == 0 || (len == 1 && folder[part] == '.') ||
			    (len == 2 && folder[part] == '.' && folder[part + 1] == '.'))
				return 0;
			part = i + 1;
			continue;
		}
		if (c < 0x20 || c == 0x7F || strchr("\\:*?\"<>|", c))
			return 0;
	}
	return 1;
}

int svd_network_stick_folder(char **out, svd_archive *a)
{
	char *path = network_path(a, FOLDER_FILE, NULL), *text = NULL, s[128];
	size_t len = 0;
	int error;

	*out = NULL;
	if (!path)
		return svd_error_set(SVD_ERROR, "out of memory");
	error = svd_file_read(&text, &len, path, SVD_NETWORK_FOLDER_MAX + 1);
	if (error == SVD_ENOTFOUND) {
		error = (*out = svd_strdup("")) ? 0 : SVD_ERROR;
		goto cleanup;
	}
	if (error < 0)
		goto cleanup;
	/* one line: the name and its end of line */
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	else
		len = 0;
	if (len == 0 || strlen(text) != len || !svd_network_stick_folder_valid(text)) {
		error = svd_error_set(SVD_ECORRUPT,
		                      "%s: not a stick folder's name on one line ('%s'); set it "
		                      "again with 'samvydav network folder NAME'",
		                      path, shown(s, sizeof(s), text));
		goto cleanup;
	}
	*out = text;
	text = NULL;
cleanup:
	free(text);
	free(path);
	return error;
}

int svd_network_stick_folder_set(svd_archive *a, const char *folder)
{
	char *path = NULL, *dir = NULL, *line = NULL, s[128];
	int error, took = 0;

	if (!folder)
		folder = "";
	if (!svd_network_stick_folder_valid(folder))
		return svd_error_set(SVD_EINVALID,
		                     "'%s' is not a folder a stick can hold (a relative path of "
		                     "at most %d bytes, no '.' or '..' part, none of \\ : * ? \" "
		                     "< > | nor control characters)",
		                     shown(s, sizeof(s), folder), SVD_NETWORK_FOLDER_MAX);
	if ((error = lock(a, &took)) < 0)
		return error;
	if ((error = make_dirs(a)) < 0)
		goto cleanup;
	if (!(path = network_path(a, FOLDER_FILE, NULL)) || !(dir = network_path(a, NULL, NULL)) ||
	    !(line = malloc(strlen(folder) + 2))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (!*folder) {
		if (unlink(path) < 0 && errno != ENOENT) {
			error = svd_error_set(SVD_ERROR, "%s: cannot remove: %s", path,
			                      svd_ioerr(errno));
			goto cleanup;
		}
		error = svd_dir_fsync(dir);
		goto cleanup;
	}
	sprintf(line, "%s\n", folder);
	error = svd_file_write_atomic(path, line, strlen(line), 0600, 0);
cleanup:
	unlock(a, took);
	free(path);
	free(dir);
	free(line);
	return error;
}
