/*
 * test_view_list.c: ARCHIVE/cache/list (view_list.c), the finished view
 * written down: every item read back in the one order and by id exactly as
 * the view has it, across several record and index blocks; a list of
 * another commit or trust list not used; and each part of the file damaged
 * or cut refused, never read as something else.
 *
 * With SVD_VIEW_LIST_CORPUS=DIR set, it also writes the fuzz corpus of
 * fuzz_view_list there (a small sound list and damaged copies of it).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "samvydav/store.h"
#include "view_internal.h"
#include "view_list.h"

/* A record for a view's reader to fill, of the enclosing block (one per call site). */
#define VB (&(svd_view_item){0})

/* items in the views: more than one index block (1,024 ids) and several record blocks */
#define N 1500

static const uint8_t trust[32] = {1, 2, 3}, other_trust[32] = {1, 2, 4};
static const uint8_t commit[20] = {9, 8, 7}, other[20] = {9, 8, 6};

/* Item k's id: its number in hex, then a fill, so that the id order is not the one order. */
static void id_of(char out[65], unsigned k)
{
	unsigned h = (k * 2654435761u) ^ k;
	snprintf(out, 65, "%08x%08x%048x", h, k, 1u); /* never all 0s */
}

/* A view of n items of every shape the list keeps: dated, undated, superseded, withdrawn, refused. */
static svd_view *many(unsigned n)
{
	svd_view *v = NULL;
	char(*ids)[65] = calloc(n, sizeof(*ids));
	unsigned k;

	assert_non_null(ids);
	for (k = 0; k < n; k++)
		id_of(ids[k], k);
	assert_int_equal(svd_view_new(&v, 0), 0);
	for (k = 0; k < n; k++) {
		svd_view_fields f = {0};
		char date[11], created[21], title[64];
		snprintf(date, sizeof(date), "20%02u-%02u-%02u", 10 + k % 16, 1 + k % 12,
		         1 + k % 28);
		snprintf(created, sizeof(created), "2026-01-01T00:%02u:%02uZ", k / 60 % 60, k % 60);
		snprintf(title, sizeof(title), "Заголовок %u: ÉÈ \\ item", k);
		f.id = ids[k];
		f.ok = k % 17 != 5;
		f.kind = k % 50 == 3   ? SVD_KIND_CORRECTION
		         : k % 50 == 4 ? SVD_KIND_RETRACTION
		                       : (k % 2 ? SVD_KIND_TESTIMONY : SVD_KIND_ARTICLE);
		f.date = k % 20 == 7 ? "" : date;
		f.created = created;
		f.supersedes = f.kind == SVD_KIND_CORRECTION ? ids[k - 1] : NULL;
		f.retracts = f.kind == SVD_KIND_RETRACTION ? ids[k - 2] : NULL;
		f.title = title;
		f.lang = k % 3 ? "uk" : "ru";
		f.why = f.ok ? NULL : "body.md: sha256: the file is not the one signed";
		f.signers = f.ok ? "0123456789ABCDEF" : "";
		f.region = k % 4 ? "Херсон" : NULL;
		f.source = k % 5 ? NULL : "https://example.org/a?b=1";
		f.authors = k % 6 ? "Автор А\x1f"
		                    "B. Author\x1f"
		                  : "";
		f.tags = k % 7 ? "tag\x1f" : "";
		assert_int_equal(svd_view_add_fields(v, &f), 0);
	}
	assert_int_equal(svd_view_finish(v), 0);
	free(ids);
	return v;
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void same_item(const svd_view_item *a, const svd_view_item *b)
{
	assert_string_equal(a->id, b->id);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->kind, b->kind);
	same_str(a->why, b->why);
	same_str(a->title, b->title);
	same_str(a->lang, b->lang);
	same_str(a->date, b->date);
	same_str(a->created, b->created);
	same_str(a->supersedes, b->supersedes);
	same_str(a->retracts, b->retracts);
	same_str(a->retracted_by, b->retracted_by);
	same_str(a->superseded_by, b->superseded_by);
	same_str(a->signers, b->signers);
	same_str(a->note, b->note);
	same_str(a->region, b->region);
	same_str(a->source, b->source);
	same_str(a->authors, b->authors);
	same_str(a->tags, b->tags);
}

/* The list's item it equals the view's; a withdrawn one's retraction too. */
static void check_item(svd_view_list *l, const svd_view *v, const svd_view_item *it)
{
	const svd_view_item *want = svd_view_find(VB, v, it->id), *r = svd_view_list_retraction(l);

	assert_non_null(want);
	same_item(it, want);
	if (want->retracted_by && svd_view_find(VB, v, want->retracted_by)) {
		const svd_view_item *wr = svd_view_find(VB, v, want->retracted_by);
		assert_non_null(r);
		assert_string_equal(r->id, wr->id);
		assert_string_equal(r->created, wr->created);
		assert_string_equal(r->signers, wr->signers);
	} else {
		assert_null(r);
	}
}

static int open_path(svd_view_list **l, int *fd, const char *path, const uint8_t *t,
                     const uint8_t *c)
{
	*fd = open(path, O_RDONLY);
	assert_true(*fd >= 0);
	return svd_view_list_open_fd(l, *fd, t, c);
}

static void test_round_trip(void **state)
{
	svd_view *v = many(N);
	svd_view_list *l = NULL;
	const svd_view_item *it;
	char path[256], id[65];
	struct stat st1, st2;
	size_t i;
	int fd, retracted = 0, superseded = 0, undated = 0;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "list");
	assert_int_equal(svd_view_list_save(path, v, trust, commit), 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_true(st1.st_size > 3 * 64 * 1024); /* several record blocks, two index blocks */
	/* written again for the same commit and trust list: left as it is */
	assert_int_equal(svd_view_list_save(path, v, trust, commit), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);

	assert_int_equal(open_path(&l, &fd, path, trust, commit), 0);
	assert_int_equal(svd_view_list_size(l), svd_view_size(v));
	assert_int_equal(svd_view_list_count(l), svd_view_count(v));
	assert_string_equal(svd_view_list_trust_date(l), svd_view_trust_date(v));
	for (i = 0; i < svd_view_size(v); i++) {
		assert_int_equal(svd_view_list_next(l, &it), 1);
		assert_string_equal(it->id, svd_view_at(VB, v, i)->id); /* the one order */
		check_item(l, v, it);
		retracted += it->state == SVD_VIEW_RETRACTED;
		superseded += it->superseded_by != NULL;
		undated += !it->date[0];
	}
	assert_int_equal(svd_view_list_next(l, &it), 0);
	assert_null(it);
	assert_true(retracted > 10 && superseded > 10 && undated > 10);
	/* by id, in any order, between reads in order */
	for (i = 0; i < N; i += 7) {
		id_of(id, (unsigned)(i * 13 % N));
		assert_int_equal(svd_view_list_find(l, id, &it), 1);
		check_item(l, v, it);
	}
	memset(id, '0', 64);
	assert_int_equal(svd_view_list_find(l, id, &it), 0); /* before the first */
	memset(id, 'f', 64);
	assert_int_equal(svd_view_list_find(l, id, &it), 0); /* after the last */
	id_of(id, N + 1);
	assert_int_equal(svd_view_list_find(l, id, &it), 0);
	assert_int_equal(svd_view_list_find(l, "abc", &it), 0);
	svd_view_list_free(l);
	close(fd);

	/* of another commit or another trust list: not used */
	assert_int_equal(open_path(&l, &fd, path, trust, other), SVD_ENOTFOUND);
	close(fd);
	assert_int_equal(open_path(&l, &fd, path, other_trust, commit), SVD_ENOTFOUND);
	close(fd);
	/* and written again when asked for another commit */
	assert_int_equal(svd_view_list_save(path, v, trust, other), 0);
	assert_int_equal(open_path(&l, &fd, path, trust, other), 0);
	svd_view_list_free(l);
	close(fd);
	svd_view_free(v);
}

/*
 * Read a whole (possibly damaged) list: every item it gives must be the
 * view's; returns 0 when it read whole, or the error.
 */
static int read_all(const char *path, const svd_view *v)
{
	svd_view_list *l = NULL;
	const svd_view_item *it;
	char id[65];
	int fd, error, got;
	unsigned k;

	if ((error = open_path(&l, &fd, path, trust, commit)) < 0) {
		close(fd);
		return error;
	}
	while ((got = svd_view_list_next(l, &it)) > 0)
		check_item(l, v, it);
	for (k = 0; got == 0 && k < N; k += 97) {
		id_of(id, k);
		if ((got = svd_view_list_find(l, id, &it)) == 1) {
			check_item(l, v, it);
			got = 0;
		}
	}
	svd_view_list_free(l);
	close(fd);
	return got;
}

static void test_damage(void **state)
{
	svd_view *v = many(N);
	char path[256], bad[256];
	size_t len, at;
	char *data;
	int error;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "list-d");
	th_join(bad, sizeof(bad), th_tmp, "list-bad");
	assert_int_equal(svd_view_list_save(path, v, trust, commit), 0);
	data = th_read_file(path, &len); /* some 300 KB */
	assert_int_equal(read_all(path, v), 0);
	/* one byte changed anywhere: refused where it is read, never read as another item */
	for (at = 0; at < len; at += at < 200 ? 1 : 1999) {
		data[at] ^= 0x20;
		th_write_file(bad, data, len);
		error = read_all(bad, v);
		assert_true(error == SVD_ECORRUPT ||
		            (at >= 8 && at < 12 + 32 + 20 && error == SVD_ENOTFOUND));
		data[at] ^= 0x20;
	}
	/* cut anywhere, or longer */
	for (at = 0; at < len; at += at < 200 ? 1 : 4099) {
		th_write_file(bad, data, at);
		assert_int_equal(read_all(bad, v), SVD_ECORRUPT);
	}
	data = realloc(data, len + 1);
	assert_non_null(data);
	data[len] = 0;
	th_write_file(bad, data, len + 1);
	assert_int_equal(read_all(bad, v), SVD_ECORRUPT);
	free(data);
	svd_view_free(v);
}

/* An empty view: a list of no items, which reads as such. */
static void test_empty(void **state)
{
	svd_view *v = NULL;
	svd_view_list *l = NULL;
	const svd_view_item *it;
	char path[256];
	int fd;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "list-e");
	assert_int_equal(svd_view_new(&v, 0), 0);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_list_save(path, v, trust, commit), 0);
	assert_int_equal(open_path(&l, &fd, path, trust, commit), 0);
	assert_int_equal(svd_view_list_size(l), 0);
	assert_int_equal(svd_view_list_next(l, &it), 0);
	assert_int_equal(
	    svd_view_list_find(
	        l, "0123456789012345678901234567890123456789012345678901234567890123", &it),
	    0);
	svd_view_list_free(l);
	close(fd);
	svd_view_free(v);
}

/* SVD_VIEW_LIST_CORPUS=DIR: the fuzz corpus, a small sound list and damaged copies. */
static void test_corpus(void **state)
{
	const char *dir = getenv("SVD_VIEW_LIST_CORPUS");
	svd_view *v;
	char path[4096], *data;
	size_t len;

	(void)state;
	if (!dir || !*dir)
		return; /* only when asked: it writes into the checkout */
	v = many(40);
	th_join(path, sizeof(path), dir, "good");
	assert_int_equal(svd_view_list_save(path, v, trust, commit), 0);
	data = th_read_file(path, &len);
	th_join(path, sizeof(path), dir, "cut");
	th_write_file(path, data, len / 2);
	data[200] ^= 1;
	th_join(path, sizeof(path), dir, "record-flipped");
	th_write_file(path, data, len);
	data[200] ^= 1;
	data[len - 20] ^= 1;
	th_join(path, sizeof(path), dir, "table-flipped");
	th_write_file(path, data, len);
	free(data);
	svd_view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_damage),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
