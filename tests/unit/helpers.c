/*
 * helpers.c: the unit tests' shared helpers; see helpers.h.
 */
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "util.h"

#define TH_FILE_MAX (1 << 20)

int th_tmpdir(char *out, size_t size, const char *tag)
{
	int n = snprintf(out, size, "/tmp/svd-test-%s-XXXXXX", tag);

	if (n < 0 || (size_t)n >= size)
		return -1;
	return mkdtemp(out) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void th_rmrf(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int th_init(char *tmpdir, size_t size, const char *tag)
{
	if (svd_init() < 0)
		return -1;
	return th_tmpdir(tmpdir, size, tag);
}

void th_shutdown(const char *tmpdir)
{
	th_rmrf(tmpdir);
	svd_shutdown();
}

char th_tmp[64];

int th_group_setup(void **state)
{
	(void)state;
	return th_init(th_tmp, sizeof(th_tmp), "unit");
}

int th_group_teardown(void **state)
{
	(void)state;
	th_shutdown(th_tmp);
	return 0;
}

void th_path(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		fail_msg("path too long: %s", fmt);
}

void th_join(char *out, size_t size, const char *dir, const char *name)
{
	th_path(out, size, "%s/%s", dir, name);
}

const char *th_source_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("SVD_SOURCE_DIR");
	char *cut;

	if (env && *env)
		return env;
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	cut = strstr(dir, "tests/unit/");
	if (!cut || cut == dir)
		return ".";
	cut[-1] = '\0';
	return dir;
}

void th_fixture_path(char *out, size_t size, const char *rel)
{
	th_path(out, size, "%s/tests/data/%s", th_source_dir(), rel);
}

char *th_read_file(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;

	if (svd_file_read(&buf, &n, path, TH_FILE_MAX) < 0)
		fail_msg("cannot read %s: %s", path, svd_error_last());
	if (len)
		*len = n;
	return buf;
}

char *th_read_fixture(const char *rel, size_t *len)
{
	char path[PATH_MAX];

	th_fixture_path(path, sizeof(path), rel);
	return th_read_file(path, len);
}

void th_write_file(const char *path, const void *data, size_t len)
{
	if (svd_file_write_atomic(path, data, len, 0644, 0) != 0)
		fail_msg("cannot write %s: %s", path, svd_error_last());
}

void th_write_text(const char *path, const char *text)
{
	th_write_file(path, text, strlen(text));
}

void th_mkdir(const char *path)
{
	if (mkdir(path, 0755) != 0)
		fail_msg("cannot create %s", path);
}

int th_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int th_run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return 128;
	return WEXITSTATUS(status);
}

void th_require_tool(const char *tool)
{
	if (th_run("command -v '%s' >/dev/null 2>&1", tool) != 0)
		fail_msg("stock %s is not in PATH; install it (the interop tests need it)", tool);
}

void th_expect_msg(const char *needle)
{
	if (!strstr(svd_error_last(), needle))
		fail_msg("message \"%s\" does not say \"%s\"", svd_error_last(), needle);
}

svd_archive *th_archive_new(const char *dir, const char *name)
{
	char path[PATH_MAX];
	svd_archive *a = NULL;

	th_join(path, sizeof(path), dir, name);
	if (svd_archive_init(&a, path) != 0)
		fail_msg("init %s: %s", path, svd_error_last());
	return a;
}

void th_fill_random(uint8_t *p, size_t n)
{
	static uint64_t state = 0x9E3779B97F4A7C15ull;
	size_t i;

	for (i = 0; i < n; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		p[i] = (uint8_t)(state >> 32);
	}
}

void th_tool_digest(char *hex, size_t hexlen, const char *tool, const void *data, size_t n)
{
	char path[] = "/tmp/svd-digest-XXXXXX", cmd[256], line[256];
	FILE *f;
	int fd;

	assert_true(hexlen < sizeof(line));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s", tool, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	unlink(path);
	assert_true(strlen(line) > hexlen);
	memcpy(hex, line, hexlen);
	hex[hexlen] = '\0';
}
