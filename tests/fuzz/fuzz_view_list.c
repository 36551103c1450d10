/*
 * fuzz_view_list.c: ARCHIVE/cache/list (view_list.c), a file list and show
 * read back and must never trust: any byte may be damaged. The input is
 * the file. When it opens, every item is read in order and some by id (the
 * first id of each index block the table names, and ids made from the
 * input); an item given must be whole (its text UTF-8, its ids 64 hex
 * digits), and no read may go past what the file holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "util.h"
#include "view_list.h"

static void whole(const svd_view_item *it)
{
	if (!it || strlen(it->id) != 64 || !svd_utf8_valid(it->title, strlen(it->title)) ||
	    !svd_utf8_valid(it->authors, strlen(it->authors)) || strlen(it->date) > 10 ||
	    strlen(it->created) > 20)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_view_list *l = NULL;
	const svd_view_item *it;
	int fd, got;
	size_t n = 0, i;

	fuzz_init();
	if ((fd = memfd_create("list", MFD_CLOEXEC)) < 0)
		abort();
	if (svd_write_all(fd, data, size) < 0)
		abort();
	if (svd_view_list_open_fd(&l, fd, NULL, NULL) == 0) {
		while ((got = svd_view_list_next(l, &it)) > 0) {
			whole(it);
			if (++n > size)
				abort(); /* more items than bytes */
		}
		for (i = 0; i + 64 <= size && i < 4096; i += 61) {
			char id[65];
			for (size_t k = 0; k < 64; k++)
				id[k] = "0123456789abcdef"[data[i + k] & 15];
			id[64] = '\0';
			if (svd_view_list_find(l, id, &it) == 1)
				whole(it);
		}
		svd_view_list_free(l);
	}
	svd_error_clear();
	close(fd);
	return 0;
}
