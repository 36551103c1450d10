/*
 * fuzz_have.c: have-files (a courier's "what this mirror holds"), formats 1
 * and 2. What is read is within the limits, and written again and read
 * back it is the same set: same format, ids, key ids per item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "samvydav/bundle.h"

/* The file's text from its count line on (the created line is the time of writing). */
static char *body_of(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf, *p;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = '\0';
	if (!(p = strstr(buf, "\ncount ")))
		abort();
	memmove(buf, p + 1, strlen(p + 1) + 1);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/svd-fuzz-have-XXXXXX", again[] = "/tmp/svd-fuzz-have-XXXXXX";
	svd_have *h = NULL, *back = NULL;
	int fd;

	fuzz_init();
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (svd_have_read(&h, path) == 0) {
		char *one, *two;
		if (svd_have_count(h) > SVD_HAVE_MAX_IDS ||
		    (svd_have_format(h) != 1 && svd_have_format(h) != 2))
			abort();
		if ((fd = mkstemp(again)) < 0)
			abort();
		close(fd);
		/* what was read is written as it was read, byte for byte past the time */
		if (svd_have_save(h, again) != 0 || svd_have_read(&back, again) != 0 ||
		    svd_have_count(back) != svd_have_count(h) ||
		    svd_have_format(back) != svd_have_format(h))
			abort();
		one = body_of(path);
		two = body_of(again);
		if (strcmp(one, two))
			abort();
		free(one);
		free(two);
		unlink(again);
	}
	svd_have_free(back);
	svd_have_free(h);
	unlink(path);
	return 0;
}
