/*
 * site_library.c: the daemon's paged library on disk (SPEC.md, 7.2.3) —
 * index.html, list/NNNNN.html, rows/NNNNN.js and search/'s dictionary
 * and facets, written by the site's builder with unpack's own writers
 * into ARCHIVE/cache/library/lib-XXXXXX, and named by the pointer file
 * ARCHIVE/cache/library/current with the commit and trust list they are
 * of. Memory holds none of them: a request reads its file, and a start
 * serves the folder of the commit and trust list it finds at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "site_internal.h"
#include "util.h"

#define POINTER     "current"
#define MAGIC       "svdlib1"
#define POINTER_MAX 256

typedef struct lib_out {
	const char *dir;
	int error;
} lib_out;

/* One file of the library into the folder being made (its subfolders made on demand). */
static int put_file(const char *rel, const void *data, size_t len, void *payload)
{
	lib_out *o = payload;
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", o->dir, rel) >= sizeof(path))
		return svd_error_set(SVD_ERROR, "%s/%s: path too long", o->dir, rel);
	return svd_file_put(path, data, len, 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void svd_site_lib_remove(const char *root, const char *name)
{
	char path[4096];

	if (!root || !name || !*name || strchr(name, '/') || name[0] == '.')
		return;
	snprintf(path, sizeof(path), "%s/%s", root, name);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The rows, the list pages and the search index of a finished catalog
 * (what svd_render_library writes but the assets and the item pages),
 * into a new folder of root. Not synced here: the index serves it from
 * the page cache at once, and svd_site_lib_pointer_write() syncs it
 * before the pointer lets a start take it.
 */
int svd_site_lib_write(char **out, const char *root, const svd_catalog *c)
{
	char *dir = NULL;
	lib_out o;
	svd_buf b;
	size_t i;
	int error = 0;

	*out = NULL;
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot make it: %s", root, strerror(errno));
	if (!(dir = malloc(strlen(root) + 16)))
		return svd_error_set(SVD_ERROR, "out of memory");
	sprintf(dir, "%s/lib-XXXXXX", root);
	if (!mkdtemp(dir)) {
		error = svd_error_set(SVD_ERROR, "%s: cannot make a folder in it: %s", root,
		                      strerror(errno));
		free(dir);
		return error;
	}
	chmod(dir, 0755);
	o.dir = dir;
	o.error = 0;
	svd_buf_init(&b, SVD_RENDER_INDEX_MAX);
	error = svd_render_search(c, put_file, &o);
	for (i = 0; error == 0 && i * SVD_CHUNK_ROWS < svd_catalog_count(c); i++) {
		char path[32];
		b.len = 0;
		snprintf(path, sizeof(path), "rows/%05zu.js", i);
		if ((error = svd_render_rows(&b, c, i)) == 0)
			error = put_file(path, b.data, b.len, &o);
	}
	for (i = 1; error == 0 && i <= svd_list_pages(c); i++) {
		char path[32];
		b.len = 0;
		snprintf(path, sizeof(path), i == 1 ? "index.html" : "list/%05zu.html", i);
		if ((error = svd_render_list(&b, c, i)) == 0)
			error = put_file(path, b.data, b.len, &o);
	}
	svd_buf_clear(&b);
	if (error < 0) {
		svd_site_lib_remove(root, strrchr(dir, '/') + 1);
		free(dir);
		return error;
	}
	memmove(dir, strrchr(dir, '/') + 1, strlen(strrchr(dir, '/') + 1) + 1);
	*out = dir;
	return 0;
}

/* The pointer's line: the magic, the commit ("-" for none), the trust list's print, the folder. */
static void pointer_line(char *out, size_t size, const char *commit, const uint8_t print[32],
                         const char *name)
{
	char hex[65];

	svd_hex_encode(hex, print, 32);
	hex[64] = '\0';
	snprintf(out, size, "%s %s %s %s\n", MAGIC, commit && *commit ? commit : "-", hex, name);
}

int svd_site_lib_pointer_write(const char *root, const char *commit, const uint8_t print[32],
                               const char *name)
{
	char line[POINTER_MAX], *path;
	int error, fd;

	/* the files on disk before the pointer names them: a crash leaves no half folder named */
	if (!(path = malloc(strlen(root) + strlen(name) + 2)))
		return svd_error_set(SVD_ERROR, "out of memory");
	sprintf(path, "%s/%s", root, name);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || syncfs(fd) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: cannot sync: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return error;
	}
	close(fd);
	free(path);
	pointer_line(line, sizeof(line), commit, print, name);
	if (!(path = malloc(strlen(root) + sizeof(POINTER) + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	sprintf(path, "%s/%s", root, POINTER);
	error = svd_file_write_atomic(path, line, strlen(line), 0644, 0);
	free(path);
	return error;
}

/*
 * The folder the pointer names when it is of this commit and trust list
 * and is there: its name into name (a lib-XXXXXX, never a path), 1; else 0.
 */
int svd_site_lib_pointer_find(char name[SVD_SITE_LIB_NAME], const char *root, const char *commit,
                              const uint8_t print[32])
{
	char want[POINTER_MAX], got[POINTER_MAX], path[4096];
	const char *n;
	struct stat st;
	ssize_t len;
	int fd;

	if (!root)
		return 0;
	pointer_line(want, sizeof(want), commit, print, "");
	snprintf(path, sizeof(path), "%s/%s", root, POINTER);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	len = read(fd, got, sizeof(got) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	got[len] = '\0';
	/* want ends in " \n": the line is want's but the newline, then the name */
	if (strncmp(got, want, strlen(want) - 1) != 0)
		return 0;
	n = got + strlen(want) - 1;
	if (strlen(n) != 11 || strncmp(n, "lib-", 4) != 0 || n[10] != '\n' || memchr(n, '/', 10) ||
	    memchr(n, '.', 10))
		return 0;
	memcpy(name, n, 10);
	name[10] = '\0';
	snprintf(path, sizeof(path), "%s/%s/index.html", root, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void svd_site_lib_sweep(const char *root, const char *keep)
{
	DIR *d;
	struct dirent *e;

	if (!root || !(d = opendir(root)))
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "lib-", 4) && (!keep || strcmp(e->d_name, keep) != 0))
			svd_site_lib_remove(root, e->d_name);
	closedir(d);
}

int svd_site_lib_read(svd_buf *out, const char *root, const char *name, const char *rel)
{
	char path[4096];
	struct stat st;
	int fd, error = 0;

	svd_buf_init(out, SVD_SITE_LIB_FILE_MAX);
	snprintf(path, sizeof(path), "%s/%s/%s", root, name, rel);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		/* a link, or a file where a folder was, is no file of the library either */
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
		           ? svd_error_set(SVD_ENOTFOUND, "no such file of the library")
		           : svd_error_set(SVD_ERROR, "cannot read a file of the library");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return svd_error_set(SVD_ENOTFOUND, "no such file of the library");
	}
	if ((uint64_t)st.st_size > SVD_SITE_LIB_FILE_MAX) {
		close(fd);
		return svd_error_set(SVD_ETOOBIG, "a file of the library is over %u bytes",
		                     SVD_SITE_LIB_FILE_MAX);
	}
	if (!(out->data = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	out->cap = (size_t)st.st_size + 1;
	while (out->len < (size_t)st.st_size) {
		ssize_t k = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			error = svd_error_set(SVD_ERROR, "cannot read a file of the library");
			break;
		}
		out->len += (size_t)k;
	}
	close(fd);
	if (error < 0)
		svd_buf_clear(out);
	else
		out->data[out->len] = '\0'; /* not counted: text for whoever reads it as such */
	return error;
}
