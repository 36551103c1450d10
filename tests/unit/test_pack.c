/*
 * test_pack.c: the pack writer and tree serialization, proven on real bare
 * repositories with libgit2 and stock git (fsck --full --strict,
 * verify-pack, cat-file, mktree).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>
#include <zlib.h>

#include "helpers.h"
#include "samvydav/common.h"
#include "pack.h"
#include "sha256.h"
#include "util.h"

/* Per test: a folder holding a bare repository and scratch files. */
typedef struct fixture {
	char base[64];
	char gitdir[128];
	char packdir[160];
	git_repository *repo;
} fixture;

/* One object the test added, to read back at the end. */
typedef struct added {
	git_object_t type;
	const void *data;
	size_t len;
	git_oid oid;
} added;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(th_tmpdir(f->base, sizeof(f->base), "pack"), 0);
	snprintf(f->gitdir, sizeof(f->gitdir), "%s/repo.git", f->base);
	snprintf(f->packdir, sizeof(f->packdir), "%s/objects/pack", f->gitdir);
	assert_int_equal(git_repository_init(&f->repo, f->gitdir, 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	git_repository_free(f->repo);
	th_rmrf(f->base);
	free(f);
	return 0;
}

/* Files in the pack folder whose names end in suffix ("" for all). */
static int count_pack_files(const fixture *f, const char *suffix)
{
	DIR *d = opendir(f->packdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		if (e->d_name[0] == '.')
			continue;
		if (l >= s && !strcmp(e->d_name + l - s, suffix))
			n++;
	}
	closedir(d);
	return n;
}

/* The path of the one .pack file, in out. */
static void pack_path(const fixture *f, char *out, size_t size)
{
	DIR *d = opendir(f->packdir);
	struct dirent *e;

	assert_non_null(d);
	out[0] = '\0';
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".pack"))
			snprintf(out, size, "%s/%s", f->packdir, e->d_name);
	}
	closedir(d);
	assert_true(out[0] != '\0');
}

/* Loose objects: files in objects/XX/. */
static int count_loose(const fixture *f)
{
	char path[256];
	int i, n = 0;

	for (i = 0; i < 256; i++) {
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "%s/objects/%02x", f->gitdir, i);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
	}
	return n;
}

/*
 * Run a shell command with stdout and stderr to files in the fixture's
 * folder; returns the exit status and the stderr text in err (if given).
 */
static int run(const fixture *f, char *out, size_t out_size, char *err, size_t err_size,
               const char *fmt, ...)
{
	char cmd[2048], path[128];
	va_list ap;
	size_t n;
	FILE *fp;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 256, fmt, ap);
	va_end(ap);
	n = strlen(cmd);
	snprintf(cmd + n, sizeof(cmd) - n, " >%s/out 2>%s/err", f->base, f->base);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	snprintf(path, sizeof(path), "%s/out", f->base);
	fp = fopen(path, "r");
	assert_non_null(fp);
	if (out) {
		/* the tail, when there is more: summaries come last */
		if (fseek(fp, 0, SEEK_END) == 0 && ftell(fp) > (long)out_size - 1)
			fseek(fp, -((long)out_size - 1), SEEK_END);
		else
			rewind(fp);
		n = fread(out, 1, out_size - 1, fp);
		out[n] = '\0';
	}
	fclose(fp);
	snprintf(path, sizeof(path), "%s/err", f->base);
	fp = fopen(path, "r");
	assert_non_null(fp);
	if (err) {
		n = fread(err, 1, err_size - 1, fp);
		err[n] = '\0';
	}
	fclose(fp);
	return WEXITSTATUS(status);
}

/* git fsck --full --strict must pass with nothing on stderr. */
static void assert_fsck_clean(const fixture *f)
{
	char out[4096], err[4096];
	int status =
	    run(f, out, sizeof(out), err, sizeof(err), "git -C %s fsck --full --strict", f->gitdir);

	if (status != 0 || err[0] != '\0')
		fail_msg("git fsck: exit %d\nstdout: %s\nstderr: %s", status, out, err);
}

static void assert_verify_pack(const fixture *f, int objects)
{
	char path[512], out[1 << 16], want[64];
	int status;

	pack_path(f, path, sizeof(path));
	status = run(f, out, sizeof(out), NULL, 0, "git -C %s verify-pack -v %s", f->gitdir, path);
	assert_int_equal(status, 0);
	snprintf(want, sizeof(want), "non delta: %d object", objects);
	if (!strstr(out, want))
		fail_msg("verify-pack: expected \"%s\" in:\n%s", want, out);
}

/* Every object reads back from libgit2 byte-exact, under git's own id. */
static void assert_read_back(const fixture *f, const added *objs, size_t n)
{
	git_odb *odb;
	size_t i;

	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	for (i = 0; i < n; i++) {
		git_odb_object *o;
		git_oid want;

		assert_int_equal(git_odb_hash(&want, objs[i].data, objs[i].len, objs[i].type), 0);
		assert_true(git_oid_equal(&want, &objs[i].oid));
		assert_int_equal(git_odb_read(&o, odb, &objs[i].oid), 0);
		assert_int_equal(git_odb_object_type(o), objs[i].type);
		assert_int_equal(git_odb_object_size(o), objs[i].len);
		assert_memory_equal(git_odb_object_data(o), objs[i].data, objs[i].len);
		git_odb_object_free(o);
	}
	git_odb_free(odb);
}

static void set_main(const fixture *f, const git_oid *commit)
{
	git_reference *ref;

	assert_int_equal(git_reference_create(&ref, f->repo, "refs/heads/main", commit, 1, "test"),
	                 0);
	git_reference_free(ref);
	assert_int_equal(git_repository_set_head(f->repo, "refs/heads/main"), 0);
}

static char *commit_text(const git_oid *tree, size_t *len)
{
	char hex[GIT_OID_HEXSZ + 1], *text = malloc(512);

	assert_non_null(text);
	git_oid_tostr(hex, sizeof(hex), tree);
	*len = (size_t)snprintf(text, 512,
	                        "tree %s\n"
	                        "author A <a@b> 0 +0000\n"
	                        "committer A <a@b> 0 +0000\n"
	                        "\n"
	                        "msg\n",
	                        hex);
	return text;
}

/* Stream data into a blob in pieces of awkward sizes. */
static int stream_blob(git_oid *oid, svd_packw *pw, const uint8_t *data, size_t len)
{
	static const size_t pieces[] = {1, 7, 4093, 65537, 3, 262147, 100, 1 << 20};
	size_t at = 0, i = 0;
	int error;

	if ((error = svd_packw_blob_begin(pw, len)) < 0)
		return error;
	while (at < len) {
		size_t n = pieces[i++ % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n > len - at)
			n = len - at;
		if ((error = svd_packw_blob_write(pw, data + at, n)) < 0)
			return error;
		at += n;
	}
	return svd_packw_blob_end(oid, pw);
}

static void test_full_pack(void **state)
{
	static const char hello[] = "hello\n", existing[] = "already here\n",
	                  note[] = "a note in a deep folder\n";
	const size_t big_len = 5 * 1024 * 1024 + 13;
	fixture *f = *state;
	uint8_t *big = malloc(big_len);
	added objs[16];
	size_t n = 0, len, count;
	git_oid oid, hello_oid, empty_oid, big_oid, existing_oid, note_oid, deep_oid, docs_oid,
	    root_oid, commit_oid;
	svd_tree_entry deep[1], docs[3], root[5];
	char *tree, *commit, *tag, hex[GIT_OID_HEXSZ + 1], out[256], path[512];
	svd_packw *pw;
	struct stat st;

	assert_non_null(big);
	th_fill_random(big, big_len);
	/* one object that the repository already holds, loose */
	assert_int_equal(
	    git_blob_create_from_buffer(&existing_oid, f->repo, existing, strlen(existing)), 0);
	assert_int_equal(count_loose(f), 1);

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(count_pack_files(f, ""), 1); /* the temporary pack */
	assert_int_equal(svd_packw_count(pw), 0);

	assert_int_equal(svd_packw_add(&hello_oid, pw, GIT_OBJECT_BLOB, hello, strlen(hello)), 0);
	objs[n++] = (added){GIT_OBJECT_BLOB, hello, strlen(hello), hello_oid};
	assert_int_equal(svd_packw_add(&empty_oid, pw, GIT_OBJECT_BLOB, "", 0), 0);
	objs[n++] = (added){GIT_OBJECT_BLOB, "", 0, empty_oid};
	assert_int_equal(stream_blob(&big_oid, pw, big, big_len), 0);
	objs[n++] = (added){GIT_OBJECT_BLOB, big, big_len, big_oid};
	assert_int_equal(svd_packw_add(&note_oid, pw, GIT_OBJECT_BLOB, note, strlen(note)), 0);
	objs[n++] = (added){GIT_OBJECT_BLOB, note, strlen(note), note_oid};
	assert_int_equal(svd_packw_count(pw), 4);

	/* duplicates, whole or streamed, of this pack's objects and of the repository's */
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, hello, strlen(hello)), 0);
	assert_true(git_oid_equal(&oid, &hello_oid));
	assert_int_equal(stream_blob(&oid, pw, (const uint8_t *)hello, strlen(hello)), 0);
	assert_true(git_oid_equal(&oid, &hello_oid));
	assert_int_equal(stream_blob(&oid, pw, big, big_len), 0);
	assert_true(git_oid_equal(&oid, &big_oid));
	assert_int_equal(stream_blob(&oid, pw, (const uint8_t *)"", 0), 0);
	assert_true(git_oid_equal(&oid, &empty_oid));
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, existing, strlen(existing)), 0);
	assert_true(git_oid_equal(&oid, &existing_oid));
	assert_int_equal(stream_blob(&oid, pw, (const uint8_t *)existing, strlen(existing)), 0);
	assert_true(git_oid_equal(&oid, &existing_oid));
	assert_int_equal(svd_packw_count(pw), 4);

	/* nested trees: deep/ inside docs/ inside the root */
	deep[0] = (svd_tree_entry){"note.txt", 0100644, note_oid};
	assert_int_equal(svd_tree_serialize(&tree, &len, deep, 1), 0);
	assert_int_equal(svd_packw_add(&deep_oid, pw, GIT_OBJECT_TREE, tree, len), 0);
	objs[n++] = (added){GIT_OBJECT_TREE, tree, len, deep_oid};
	docs[0] = (svd_tree_entry){"hello.txt", 0100644, hello_oid};
	docs[1] = (svd_tree_entry){"deep", 040000, deep_oid};
	docs[2] = (svd_tree_entry){"empty", 0100644, empty_oid};
	assert_int_equal(svd_tree_serialize(&tree, &len, docs, 3), 0);
	assert_int_equal(svd_packw_add(&docs_oid, pw, GIT_OBJECT_TREE, tree, len), 0);
	objs[n++] = (added){GIT_OBJECT_TREE, tree, len, docs_oid};
	root[0] = (svd_tree_entry){"docs", 040000, docs_oid};
	root[1] = (svd_tree_entry){"big.bin", 0100644, big_oid};
	root[2] = (svd_tree_entry){"existing.txt", 0100644, existing_oid};
	root[3] = (svd_tree_entry){"run.sh", 0100755, hello_oid};
	root[4] = (svd_tree_entry){"hello.txt", 0100644, hello_oid};
	assert_int_equal(svd_tree_serialize(&tree, &len, root, 5), 0);
	assert_string_equal(root[0].name, "big.bin");
	assert_string_equal(root[4].name, "run.sh");
	assert_int_equal(svd_packw_add(&root_oid, pw, GIT_OBJECT_TREE, tree, len), 0);
	objs[n++] = (added){GIT_OBJECT_TREE, tree, len, root_oid};

	commit = commit_text(&root_oid, &len);
	assert_int_equal(svd_packw_add(&commit_oid, pw, GIT_OBJECT_COMMIT, commit, len), 0);
	objs[n++] = (added){GIT_OBJECT_COMMIT, commit, len, commit_oid};

	tag = malloc(512);
	assert_non_null(tag);
	git_oid_tostr(hex, sizeof(hex), &commit_oid);
	len = (size_t)snprintf(
	    tag, 512, "object %s\ntype commit\ntag v1\ntagger A <a@b> 0 +0000\n\nv1\n", hex);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_TAG, tag, len), 0);
	objs[n++] = (added){GIT_OBJECT_TAG, tag, len, oid};
	count = n;
	assert_int_equal(svd_packw_count(pw), count);

	/* nothing visible before finishing */
	assert_int_equal(count_pack_files(f, ".pack"), 0);
	assert_int_equal(count_pack_files(f, ".idx"), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	assert_int_equal(svd_packw_finish(pw), SVD_EINVALID);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "x", 1), SVD_EINVALID);
	svd_packw_free(pw);

	assert_int_equal(count_pack_files(f, ".pack"), 1);
	assert_int_equal(count_pack_files(f, ".idx"), 1);
	assert_int_equal(count_pack_files(f, ""), 2);
	assert_int_equal(count_loose(f), 1);
	pack_path(f, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	/* the duplicate 5 MiB blob was taken back: one copy, deflate cannot shrink random bytes */
	assert_true(st.st_size > (off_t)big_len && st.st_size < (off_t)(big_len + big_len / 8));

	assert_read_back(f, objs, n);
	set_main(f, &commit_oid);
	{
		git_reference *ref;
		assert_int_equal(
		    git_reference_create(&ref, f->repo, "refs/tags/v1", &oid, 1, "test"), 0);
		git_reference_free(ref);
	}
	assert_fsck_clean(f);
	assert_verify_pack(f, (int)count);
	git_oid_tostr(hex, sizeof(hex), &hello_oid);
	assert_int_equal(
	    run(f, out, sizeof(out), NULL, 0, "git -C %s cat-file -p %s", f->gitdir, hex), 0);
	assert_string_equal(out, hello);
	git_oid_tostr(hex, sizeof(hex), &big_oid);
	assert_int_equal(
	    run(f, out, sizeof(out), NULL, 0, "git -C %s cat-file -s %s", f->gitdir, hex), 0);
	assert_int_equal(strtoull(out, NULL, 10), big_len);
	assert_int_equal(run(f, out, sizeof(out), NULL, 0,
	                     "git -C %s cat-file -p main:docs/deep/note.txt", f->gitdir),
	                 0);
	assert_string_equal(out, note);
	assert_int_equal(
	    run(f, out, sizeof(out), NULL, 0, "git -C %s log --format=%%s main", f->gitdir), 0);
	assert_string_equal(out, "msg\n");

	for (n = 4; n < count; n++)
		free((void *)objs[n].data);
	free(big);
}

/* A second writer in the same repository skips what the first one packed. */
static void test_second_pack(void **state)
{
	fixture *f = *state;
	svd_tree_entry e[2];
	svd_packw *pw;
	git_oid a, b;
	char *text;
	size_t len;

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&a, pw, GIT_OBJECT_BLOB, "one\n", 4), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&b, pw, GIT_OBJECT_BLOB, "one\n", 4), 0);
	assert_true(git_oid_equal(&a, &b));
	assert_int_equal(svd_packw_count(pw), 0);
	assert_int_equal(svd_packw_add(&b, pw, GIT_OBJECT_BLOB, "two\n", 4), 0);
	e[0] = (svd_tree_entry){"one", 0100644, a};
	e[1] = (svd_tree_entry){"two", 0100644, b};
	assert_int_equal(svd_tree_serialize(&text, &len, e, 2), 0);
	assert_int_equal(svd_packw_add(&a, pw, GIT_OBJECT_TREE, text, len), 0);
	free(text);
	text = commit_text(&a, &len);
	assert_int_equal(svd_packw_add(&a, pw, GIT_OBJECT_COMMIT, text, len), 0);
	free(text);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	set_main(f, &a);
	assert_int_equal(count_pack_files(f, ".pack"), 2);
	assert_int_equal(count_pack_files(f, ".idx"), 2);
	assert_int_equal(count_pack_files(f, ""), 4);
	assert_int_equal(count_loose(f), 0);
	assert_fsck_clean(f);
}

/*
 * The packs an operation finished (svd_packs_done): an object of the store
 * as it was, or of a finished pack, is not written again; a new one is;
 * the filter never misses an id it holds and rarely claims one it does not.
 */
static void test_packs_done(void **state)
{
	enum { N = 20000 };
	fixture *f = *state;
	svd_packs_done *done;
	svd_packw *pw;
	git_oid before, id, *ids = calloc(N, sizeof(*ids));
	char text[64];
	size_t i, claimed = 0;

	assert_non_null(ids);
	/* in the store before the operation */
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&before, pw, GIT_OBJECT_BLOB, "before\n", 7), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);

	assert_int_equal(svd_packs_done_new(&done, f->repo), 0);
	assert_int_equal(svd_packs_done_count(done), 0);
	assert_int_equal(svd_packw_new_in(&pw, f->repo, done), 0);
	for (i = 0; i < N; i++) {
		int n = snprintf(text, sizeof(text), "object %zu of the first pack\n", i);
		assert_int_equal(svd_packw_add(&ids[i], pw, GIT_OBJECT_BLOB, text, (size_t)n), 0);
		assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_NEW);
	}
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_BLOB, "before\n", 7), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	assert_int_equal(svd_packs_done_count(done), 1);
	for (i = 0; i < N; i++)
		assert_int_equal(svd_packs_done_maybe(done, &ids[i]), 1);
	for (i = 0; i < N; i++) {
		int n = snprintf(text, sizeof(text), "object %zu written nowhere\n", i);
		assert_int_equal(git_odb_hash(&id, text, (size_t)n, GIT_OBJECT_BLOB), 0);
		claimed += (size_t)svd_packs_done_maybe(done, &id);
	}
	/* 10 bits an id and 7 probes: about 0.8% */
	print_message("claimed %zu of %d ids it does not hold\n", claimed, N);
	assert_true(claimed < N / 50);

	assert_int_equal(svd_packw_new_in(&pw, f->repo, done), 0);
	for (i = 0; i < N; i += 997) {
		int n = snprintf(text, sizeof(text), "object %zu of the first pack\n", i);
		assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_BLOB, text, (size_t)n), 0);
		assert_true(git_oid_equal(&id, &ids[i]));
		assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
	}
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_BLOB, "before\n", 7), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_BLOB, "second\n", 7), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_NEW);
	assert_int_equal(svd_packw_count(pw), 1);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	assert_int_equal(svd_packs_done_count(done), 2);
	assert_int_equal(svd_packs_done_maybe(done, &id), 1);
	svd_packs_done_free(done);
	free(ids);
	assert_int_equal(count_pack_files(f, ".pack"), 3);
	assert_int_equal(count_loose(f), 0);
}

static void test_stream_misuse(void **state)
{
	fixture *f = *state;
	uint8_t data[4096];
	svd_packw *pw;
	git_oid oid;
	added obj;

	th_fill_random(data, sizeof(data));
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 1), SVD_EINVALID);
	assert_int_equal(svd_packw_blob_end(&oid, pw), SVD_EINVALID);

	/* past the declared size, in one piece or across pieces */
	assert_int_equal(svd_packw_blob_begin(pw, 10), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 11), SVD_EINVALID);
	assert_non_null(strstr(svd_error_last(), "10 bytes"));
	assert_int_equal(svd_packw_blob_write(pw, data, 1), SVD_EINVALID);
	assert_int_equal(svd_packw_blob_begin(pw, 100), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 60), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 60), SVD_EINVALID);

	/* ended short */
	assert_int_equal(svd_packw_blob_begin(pw, sizeof(data)), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 5), 0);
	assert_int_equal(svd_packw_blob_end(&oid, pw), SVD_EINVALID);
	assert_int_equal(svd_packw_blob_begin(pw, 1), 0);
	assert_int_equal(svd_packw_blob_end(&oid, pw), SVD_EINVALID);

	/* nothing else in the middle of a blob, and no finishing */
	assert_int_equal(svd_packw_blob_begin(pw, 3), 0);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "x", 1), SVD_EINVALID);
	assert_int_equal(svd_packw_blob_begin(pw, 3), SVD_EINVALID);
	assert_int_equal(svd_packw_finish(pw), SVD_EINVALID);
	assert_int_equal(svd_packw_blob_write(pw, "abc", 3), 0);
	assert_int_equal(svd_packw_blob_end(&oid, pw), 0);

	/* not a type that goes in a pack undeltified */
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_OFS_DELTA, "x", 1), SVD_EINVALID);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_ANY, "x", 1), SVD_EINVALID);

	/* the dropped blobs left nothing behind: the pack holds the one good object */
	assert_int_equal(svd_packw_count(pw), 1);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	obj = (added){GIT_OBJECT_BLOB, "abc", 3, oid};
	assert_read_back(f, &obj, 1);
	assert_verify_pack(f, 1);
	assert_int_equal(count_loose(f), 0);
}

static void test_empty_finish(void **state)
{
	fixture *f = *state;
	svd_packw *pw;
	git_oid oid, have;

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	assert_int_equal(count_pack_files(f, ""), 0);

	/* only objects the repository has already: nothing to write either */
	assert_int_equal(git_blob_create_from_buffer(&have, f->repo, "x\n", 2), 0);
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "x\n", 2), 0);
	assert_true(git_oid_equal(&oid, &have));
	assert_int_equal(svd_packw_count(pw), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	assert_int_equal(count_pack_files(f, ""), 0);
	assert_int_equal(count_loose(f), 1);
}

static void test_free_unfinished(void **state)
{
	fixture *f = *state;
	uint8_t *data = malloc(1 << 20);
	svd_packw *pw;
	git_oid oid;

	assert_non_null(data);
	th_fill_random(data, 1 << 20);
	svd_packw_free(NULL);

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "x\n", 2), 0);
	assert_int_equal(stream_blob(&oid, pw, data, 1 << 20), 0);
	assert_int_equal(count_pack_files(f, ""), 1);
	svd_packw_free(pw);
	assert_int_equal(count_pack_files(f, ""), 0);

	/* in the middle of a streamed blob */
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_blob_begin(pw, 2 << 20), 0);
	assert_int_equal(svd_packw_blob_write(pw, data, 1 << 20), 0);
	svd_packw_free(pw);
	assert_int_equal(count_pack_files(f, ""), 0);
	assert_int_equal(count_loose(f), 0);
	free(data);
}

/* Rolling back to a mark takes back objects, written or half-streamed. */
static void test_rollback(void **state)
{
	const size_t big_len = 3 * 1024 * 1024 + 5;
	fixture *f = *state;
	uint8_t *big = malloc(big_len);
	svd_packw_mark mark, late;
	added objs[3];
	git_oid a, b, c, oid;
	svd_packw *pw;
	git_odb *odb;

	assert_non_null(big);
	th_fill_random(big, big_len);
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	svd_packw_mark_get(pw, &mark);
	assert_int_equal(svd_packw_rollback(pw, &mark), 0); /* nothing to take back */
	assert_int_equal(svd_packw_add(&a, pw, GIT_OBJECT_BLOB, "kept\n", 5), 0);
	svd_packw_mark_get(pw, &mark);
	assert_int_equal(svd_packw_add(&b, pw, GIT_OBJECT_BLOB, "taken back\n", 11), 0);
	/* several times the write buffer: the file itself is cut */
	assert_int_equal(stream_blob(&c, pw, big, big_len), 0);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "kept\n", 5), 0);
	svd_packw_mark_get(pw, &late);
	assert_int_equal(svd_packw_count(pw), 3);
	assert_int_equal(svd_packw_rollback(pw, &mark), 0);
	assert_int_equal(svd_packw_count(pw), 1);
	/* a mark from after the rollback point is refused */
	assert_int_equal(svd_packw_rollback(pw, &late), SVD_EINVALID);

	/* what was taken back is no longer known: adding it writes it again */
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "taken back\n", 11), 0);
	assert_true(git_oid_equal(&oid, &b));
	assert_int_equal(svd_packw_count(pw), 2);

	/* a mark taken and rolled back in the middle of a streamed blob */
	assert_int_equal(svd_packw_blob_begin(pw, big_len), 0);
	assert_int_equal(svd_packw_blob_write(pw, big, big_len / 2), 0);
	svd_packw_mark_get(pw, &mark);
	assert_int_equal(svd_packw_blob_write(pw, big + big_len / 2, big_len - big_len / 2), 0);
	assert_int_equal(svd_packw_rollback(pw, &mark), 0);
	assert_int_equal(svd_packw_blob_write(pw, big, 1), SVD_EINVALID); /* the blob is gone */
	assert_int_equal(svd_packw_count(pw), 2);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "last\n", 5), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	assert_int_equal(svd_packw_rollback(pw, &mark), SVD_EINVALID);
	svd_packw_free(pw);

	objs[0] = (added){GIT_OBJECT_BLOB, "kept\n", 5, a};
	objs[1] = (added){GIT_OBJECT_BLOB, "taken back\n", 11, b};
	objs[2] = (added){GIT_OBJECT_BLOB, "last\n", 5, oid};
	assert_read_back(f, objs, 3);
	assert_verify_pack(f, 3);
	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	assert_false(git_odb_exists(odb, &c));
	git_odb_free(odb);
	free(big);
}

/* Is the object of these bytes known to the writer? Adding it again tells. */
static int packw_knows(svd_packw *pw, const char *text)
{
	size_t before = svd_packw_count(pw);
	git_oid oid;

	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, text, strlen(text)), 0);
	return svd_packw_count(pw) == before;
}

/*
 * Refusals after many good objects (issue 15, item 4): each rollback
 * costs what it takes back, not what the pack holds (a rollback once
 * rebuilt the whole set of ids: good x refused). The cost is counted, not
 * timed: the slots of the set a rollback looks at. What is left is
 * exactly the good objects, and stock git reads the pack.
 */
static void test_rollback_after_many(void **state)
{
	enum { GOOD = 3000, REFUSED = 300, BURST = 5000 };
	fixture *f = *state;
	added *objs = calloc(GOOD + 1, sizeof(*objs));
	char **texts = calloc(GOOD + 1, sizeof(*texts));
	char text[64];
	uint64_t visits;
	size_t i, taken = 0;
	svd_packw_mark mark;
	svd_packw *pw;
	git_oid oid;
	git_odb *odb;

	assert_non_null(objs);
	assert_non_null(texts);
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	for (i = 0; i < GOOD; i++) {
		int n = snprintf(text, sizeof(text), "good %zu\n", i);
		assert_non_null(texts[i] = strdup(text));
		objs[i] = (added){GIT_OBJECT_BLOB, texts[i], (size_t)n, {{0}}};
		if (i % 2)
			assert_int_equal(
			    svd_packw_add(&objs[i].oid, pw, GIT_OBJECT_BLOB, text, (size_t)n), 0);
		else
			assert_int_equal(
			    stream_blob(&objs[i].oid, pw, (const uint8_t *)text, (size_t)n), 0);
	}
	assert_int_equal(svd_packw_count(pw), GOOD);
	visits = svd_packw_rollback_visits(pw);
	for (i = 0; i < REFUSED; i++) {
		svd_packw_mark_get(pw, &mark);
		/* two new objects, one streamed, and one the pack holds (not taken back) */
		snprintf(text, sizeof(text), "refused %zu a\n", i);
		assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, text, strlen(text)), 0);
		snprintf(text, sizeof(text), "refused %zu b\n", i);
		assert_int_equal(stream_blob(&oid, pw, (const uint8_t *)text, strlen(text)), 0);
		assert_int_equal(
		    svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, objs[i].data, objs[i].len), 0);
		/* and one left open, as a file cut short leaves it */
		assert_int_equal(svd_packw_blob_begin(pw, 100), 0);
		assert_int_equal(svd_packw_blob_write(pw, "cut", 3), 0);
		assert_int_equal(svd_packw_count(pw), GOOD + 2);
		assert_int_equal(svd_packw_rollback(pw, &mark), 0);
		assert_int_equal(svd_packw_count(pw), GOOD);
		taken += 2;
	}
	/* a few slots per object taken back; rebuilding the set was GOOD per rollback */
	visits = svd_packw_rollback_visits(pw) - visits;
	if (visits > 4 * taken)
		fail_msg(
		    "%d rollbacks of 2 objects each after %d good ones looked at %llu slots of "
		    "the set (at most %zu expected)",
		    REFUSED, GOOD, (unsigned long long)visits, 4 * taken);

	/* a burst that makes the set grow, then taken back whole */
	svd_packw_mark_get(pw, &mark);
	for (i = 0; i < BURST; i++) {
		snprintf(text, sizeof(text), "burst %zu\n", i);
		assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, text, strlen(text)), 0);
	}
	assert_int_equal(svd_packw_count(pw), GOOD + BURST);
	assert_int_equal(svd_packw_rollback(pw, &mark), 0);
	assert_int_equal(svd_packw_count(pw), GOOD);

	/* the good ones are known still, and what was taken back is not */
	for (i = 0; i < GOOD; i += 7)
		assert_true(packw_knows(pw, texts[i]));
	assert_int_equal(svd_packw_count(pw), GOOD);
	assert_false(packw_knows(pw, "refused 17 a\n"));
	assert_false(packw_knows(pw, "refused 18 b\n"));
	assert_false(packw_knows(pw, "burst 4000\n"));
	assert_int_equal(svd_packw_count(pw), GOOD + 3);
	svd_packw_mark_get(pw, &mark);
	mark.count = GOOD;
	assert_int_equal(svd_packw_rollback(pw, &mark), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);

	assert_read_back(f, objs, GOOD);
	assert_verify_pack(f, GOOD);
	{
		char out[4096], err[4096];
		/* nothing names the blobs, and no ref is set: notices only */
		int status =
		    run(f, out, sizeof(out), err, sizeof(err),
		        "git -C %s fsck --full --strict --no-dangling --no-progress", f->gitdir);
		if (status != 0 || strstr(err, "error") || strstr(err, "missing"))
			fail_msg("git fsck: exit %d\nstdout: %s\nstderr: %s", status, out, err);
	}
	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	snprintf(text, sizeof(text), "refused %d a\n", 5);
	assert_int_equal(git_odb_hash(&oid, text, strlen(text), GIT_OBJECT_BLOB), 0);
	assert_false(git_odb_exists(odb, &oid));
	git_odb_free(odb);
	for (i = 0; i < GOOD; i++)
		free(texts[i]);
	free(texts);
	free(objs);
}

/* The SHA-256 held under oid must be that of data. */
static void assert_held(svd_packw *pw, const git_oid *oid, const void *data, size_t len)
{
	uint8_t held[32], want[32];

	assert_int_equal(svd_packw_held_sha256(pw, oid, held), 0);
	svd_sha256_once(want, data, len);
	assert_memory_equal(held, want, 32);
}

/*
 * Write the loose object that a SHA-1 collision of git objects would
 * leave: named by the id of blob `named`, holding the blob `other`.
 */
static void plant(const fixture *f, const git_oid *named, const void *other, size_t len)
{
	char hex[GIT_OID_HEXSZ + 1], path[256];
	uint8_t *raw = malloc(len + 32), *z;
	uLongf zlen = compressBound((uLong)(len + 32));
	int head = snprintf((char *)raw, 32, "blob %zu", len) + 1;
	FILE *fp;

	assert_non_null(raw);
	memcpy(raw + head, other, len);
	assert_non_null(z = malloc(zlen));
	assert_int_equal(compress(z, &zlen, raw, (uLong)(head + len)), Z_OK);
	git_oid_tostr(hex, sizeof(hex), named);
	th_path(path, sizeof(path), "%s/objects/%.2s", f->gitdir, hex);
	mkdir(path, 0755);
	th_path(path, sizeof(path), "%s/objects/%.2s/%s", f->gitdir, hex, hex + 2);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(z, 1, zlen, fp), zlen);
	assert_int_equal(fclose(fp), 0);
	free(z);
	free(raw);
}

/*
 * Ids met again (issue 15, item 9): the writer says where it found them,
 * and reads back the bytes held there, earlier in the pack (in the file
 * or still in the write buffer, deflated or stored) or in the store.
 */
static void test_held_bytes(void **state)
{
	const size_t big_len = 3 * 1024 * 1024 + 11;
	fixture *f = *state;
	uint8_t *big = malloc(big_len), held[32];
	char text[4096];
	git_oid hello, bigid, small, tree, oid;
	svd_tree_entry te[1];
	svd_packw *pw;
	size_t tlen;
	char *tbuf;

	assert_non_null(big);
	th_fill_random(big, big_len);
	memset(text, 'a', sizeof(text));
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&hello, pw, GIT_OBJECT_BLOB, "hello\n", 6), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_NEW);
	assert_int_equal(stream_blob(&bigid, pw, big, big_len), 0); /* stored, past the buffer */
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_NEW);
	assert_int_equal(stream_blob(&small, pw, (const uint8_t *)text, sizeof(text)), 0);
	te[0] = (svd_tree_entry){"hello", 0100644, hello};
	assert_int_equal(svd_tree_serialize(&tbuf, &tlen, te, 1), 0);
	assert_int_equal(svd_packw_add(&tree, pw, GIT_OBJECT_TREE, tbuf, tlen), 0);

	/* met again: found in the pack, the same bytes, no error */
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "hello\n", 6), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_PACK);
	assert_int_equal(stream_blob(&oid, pw, big, big_len), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_PACK);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, text, sizeof(text)), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_PACK);
	assert_held(pw, &hello, "hello\n", 6);
	assert_held(pw, &bigid, big, big_len);
	assert_held(pw, &small, text, sizeof(text));
	/* a tree is no blob; an id held nowhere is not found */
	assert_int_equal(svd_packw_held_sha256(pw, &tree, held), SVD_ECORRUPT);
	assert_int_equal(git_odb_hash(&oid, "nowhere\n", 8, GIT_OBJECT_BLOB), 0);
	assert_int_equal(svd_packw_held_sha256(pw, &oid, held), SVD_ENOTFOUND);
	assert_int_equal(svd_packw_count(pw), 4);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);

	/* in the store now */
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, "hello\n", 6), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
	assert_int_equal(stream_blob(&oid, pw, big, big_len), 0);
	assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
	assert_held(pw, &bigid, big, big_len);
	assert_held(pw, &hello, "hello\n", 6);
	assert_int_equal(svd_packw_count(pw), 0);
	svd_packw_free(pw);
	assert_verify_pack(f, 4);
	free(tbuf);
	free(big);
}

/*
 * Other bytes under a blob's id in the store (a collision's leftover,
 * planted): the blob is not skipped as held. With libgit2's strict hash
 * verification (its default) the object cannot be read; without it, it
 * reads, and its SHA-256 tells.
 */
static void test_collision_refused(void **state)
{
	fixture *f = *state;
	size_t l1, l2;
	char *p1 = th_read_fixture("collision/shattered-1.prefix", &l1);
	char *p2 = th_read_fixture("collision/shattered-2.prefix", &l2);
	uint8_t held[32];
	git_oid id, oid;
	svd_packw *pw;
	int strict;

	assert_int_equal(l1, 320);
	assert_int_equal(l2, 320);
	assert_int_equal(git_odb_hash(&id, p1, l1, GIT_OBJECT_BLOB), 0);
	plant(f, &id, p2, l2);
	for (strict = 1; strict >= 0; strict--) {
		assert_int_equal(git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, strict),
		                 0);
		assert_int_equal(svd_packw_new(&pw, f->repo), 0);
		/* in memory: the writer checks it */
		assert_int_equal(svd_packw_add(&oid, pw, GIT_OBJECT_BLOB, p1, l1), SVD_ECORRUPT);
		assert_non_null(strstr(svd_error_last(), SVD_PACKW_COLLISION));
		/* streamed: found in the store, and what is held there is not its bytes */
		assert_int_equal(stream_blob(&oid, pw, (const uint8_t *)p1, l1), 0);
		assert_true(git_oid_equal(&oid, &id));
		assert_int_equal(svd_packw_last_found(pw), SVD_PACKW_IN_STORE);
		if (strict) {
			assert_int_equal(svd_packw_held_sha256(pw, &oid, held), SVD_ECORRUPT);
		} else {
			uint8_t want[32];
			assert_int_equal(svd_packw_held_sha256(pw, &oid, held), 0);
			svd_sha256_once(want, p1, l1);
			assert_memory_not_equal(held, want, 32);
			svd_sha256_once(want, p2, l2);
			assert_memory_equal(held, want, 32);
		}
		assert_int_equal(svd_packw_count(pw), 0);
		svd_packw_free(pw);
	}
	assert_int_equal(git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1), 0);
	free(p1);
	free(p2);
}

/*
 * Many objects: the set of ids grows, the fan-out spreads over all 256
 * buckets, and sizes cross every boundary of the size varint.
 */
static void test_many_objects(void **state)
{
	static const size_t sizes[] = {0,    1,    15,    16,    17,     2047,   2048,
	                               2049, 4095, 65535, 65536, 262143, 262144, 262145};
	const size_t ntext = 20000, nsizes = sizeof(sizes) / sizeof(sizes[0]);
	fixture *f = *state;
	uint8_t *data = malloc(262150);
	char *texts = malloc(ntext * 32);
	added *objs = calloc(ntext + 2 * nsizes, sizeof(*objs));
	size_t i, n = 0;
	svd_packw *pw;

	assert_non_null(data);
	assert_non_null(texts);
	assert_non_null(objs);
	th_fill_random(data, 262150);
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	for (i = 0; i < ntext; i++) {
		char *text = texts + 32 * i;
		/* every text twice: the second copy is skipped */
		int len = snprintf(text, 32, "object %zu\n", i / 2);

		objs[n] = (added){GIT_OBJECT_BLOB, text, (size_t)len, {{0}}};
		assert_int_equal(
		    svd_packw_add(&objs[n].oid, pw, GIT_OBJECT_BLOB, text, (size_t)len), 0);
		n++;
	}
	assert_int_equal(svd_packw_count(pw), ntext / 2);
	for (i = 0; i < nsizes; i++) {
		objs[n] = (added){GIT_OBJECT_BLOB, data, sizes[i], {{0}}};
		assert_int_equal(stream_blob(&objs[n].oid, pw, data, sizes[i]), 0);
		n++;
		objs[n] = (added){GIT_OBJECT_BLOB, data + 1, sizes[i] + 3, {{0}}};
		assert_int_equal(
		    svd_packw_add(&objs[n].oid, pw, GIT_OBJECT_BLOB, data + 1, sizes[i] + 3), 0);
		n++;
	}
	assert_int_equal(svd_packw_count(pw), ntext / 2 + 2 * nsizes);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	assert_read_back(f, objs, n);
	assert_verify_pack(f, (int)(ntext / 2 + 2 * nsizes));
	assert_int_equal(count_loose(f), 0);
	free(objs);
	free(texts);
	free(data);
}

/* git's order for names that differ just around where a folder's '/' would sort. */
static void test_tree_order(void **state)
{
	fixture *f = *state;
	svd_tree_entry e[8];
	char *tree, hex[GIT_OID_HEXSZ + 1], ours[GIT_OID_HEXSZ + 1], out[128], line[256];
	char path[128];
	const char *want[8];
	size_t len, i, n;
	git_oid blob, sub, id;
	svd_packw *pw;
	FILE *fp;

	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_add(&blob, pw, GIT_OBJECT_BLOB, "x\n", 2), 0);
	e[0] = (svd_tree_entry){"f", 0100644, blob};
	assert_int_equal(svd_tree_serialize(&tree, &len, e, 1), 0);
	assert_int_equal(svd_packw_add(&sub, pw, GIT_OBJECT_TREE, tree, len), 0);
	free(tree);

	/* "a" as a folder sorts as "a/": after "a-b", "a.b", "a.txt", before "a0" */
	n = 0;
	e[n++] = (svd_tree_entry){"a0", 0100644, blob};
	e[n++] = (svd_tree_entry){"a", 040000, sub};
	e[n++] = (svd_tree_entry){"a.txt", 0100644, blob};
	e[n++] = (svd_tree_entry){"b", 0100644, blob};
	e[n++] = (svd_tree_entry){"a-b", 0100644, blob};
	e[n++] = (svd_tree_entry){"\xc3\xa9t\xc3\xa9", 0100644, blob};
	e[n++] = (svd_tree_entry){"a.b", 040000, sub};
	e[n++] = (svd_tree_entry){"Z", 0100644, blob};
	assert_int_equal(svd_tree_serialize(&tree, &len, e, n), 0);
	want[0] = "Z";
	want[1] = "a-b";
	want[2] = "a.b";
	want[3] = "a.txt";
	want[4] = "a";
	want[5] = "a0";
	want[6] = "b";
	want[7] = "\xc3\xa9t\xc3\xa9";
	for (i = 0; i < n; i++)
		assert_string_equal(e[i].name, want[i]);
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_TREE, tree, len), 0);
	free(tree);
	git_oid_tostr(ours, sizeof(ours), &id);

	/* the same entries through stock git mktree, which sorts them itself */
	snprintf(path, sizeof(path), "%s/mktree.in", f->base);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (i = n; i-- > 0;) {
		git_oid_tostr(hex, sizeof(hex), &e[i].oid);
		snprintf(line, sizeof(line), "%06o %s %s\t%s\n", e[i].mode,
		         e[i].mode == 040000 ? "tree" : "blob", hex, e[i].name);
		fputs(line, fp);
	}
	fclose(fp);

	/* file "a" beside folders "a-b" and "a.b" */
	e[0] = (svd_tree_entry){"a.b", 040000, sub};
	e[1] = (svd_tree_entry){"a", 0100644, blob};
	e[2] = (svd_tree_entry){"a-b", 040000, sub};
	assert_int_equal(svd_tree_serialize(&tree, &len, e, 3), 0);
	assert_string_equal(e[0].name, "a");
	assert_string_equal(e[1].name, "a-b");
	assert_string_equal(e[2].name, "a.b");
	assert_int_equal(svd_packw_add(&sub, pw, GIT_OBJECT_TREE, tree, len), 0);
	free(tree);

	/* a root holding both, and a commit, so fsck sees them reachable */
	e[0] = (svd_tree_entry){"one", 040000, id};
	e[1] = (svd_tree_entry){"two", 040000, sub};
	assert_int_equal(svd_tree_serialize(&tree, &len, e, 2), 0);
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_TREE, tree, len), 0);
	free(tree);
	tree = commit_text(&id, &len);
	assert_int_equal(svd_packw_add(&id, pw, GIT_OBJECT_COMMIT, tree, len), 0);
	free(tree);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	set_main(f, &id);
	/* fsck reports treeNotSorted for a misordered tree */
	assert_fsck_clean(f);

	assert_int_equal(run(f, out, sizeof(out), NULL, 0, "git -C %s mktree <%s", f->gitdir, path),
	                 0);
	out[GIT_OID_HEXSZ] = '\0';
	assert_string_equal(out, ours);
}

static void assert_tree_refused(svd_tree_entry *e, size_t n)
{
	char *tree = (char *)1;
	size_t len = 1;

	assert_int_equal(svd_tree_serialize(&tree, &len, e, n), SVD_EINVALID);
	assert_null(tree);
	assert_int_equal(len, 0);
	assert_true(svd_error_last()[0] != '\0');
}

static void test_tree_refused(void **state)
{
	static const char *const bad_names[] = {"", "a/b", "/", ".", "..", ".git", ".GIT", ".Git"};
	svd_tree_entry e[4];
	git_oid oid;
	size_t i;

	(void)state;
	assert_int_equal(git_oid_fromstr(&oid, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"), 0);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		e[0] = (svd_tree_entry){"ok", 0100644, oid};
		e[1] = (svd_tree_entry){bad_names[i], 0100644, oid};
		assert_tree_refused(e, 2);
	}
	e[0] = (svd_tree_entry){NULL, 0100644, oid};
	assert_tree_refused(e, 1);

	/* duplicates: two files, two folders, a file and a folder apart in git's order */
	e[0] = (svd_tree_entry){"a", 0100644, oid};
	e[1] = (svd_tree_entry){"a", 0100644, oid};
	assert_tree_refused(e, 2);
	e[0] = (svd_tree_entry){"a", 040000, oid};
	e[1] = (svd_tree_entry){"a", 040000, oid};
	assert_tree_refused(e, 2);
	e[0] = (svd_tree_entry){"a", 0100644, oid};
	e[1] = (svd_tree_entry){"a.b", 0100644, oid};
	e[2] = (svd_tree_entry){"a-b", 0100644, oid};
	e[3] = (svd_tree_entry){"a", 040000, oid};
	assert_tree_refused(e, 4);

	/* modes git does not write */
	e[0] = (svd_tree_entry){"a", 0100664, oid};
	assert_tree_refused(e, 1);
	e[0] = (svd_tree_entry){"a", 0, oid};
	assert_tree_refused(e, 1);
	e[0] = (svd_tree_entry){"a", 0644, oid};
	assert_tree_refused(e, 1);
}

static void test_tree_empty(void **state)
{
	char *tree = NULL;
	size_t len = 1;
	git_oid id;

	(void)state;
	assert_int_equal(svd_tree_serialize(&tree, &len, NULL, 0), 0);
	assert_non_null(tree);
	assert_int_equal(len, 0);
	assert_int_equal(git_odb_hash(&id, tree, 0, GIT_OBJECT_TREE), 0);
	assert_string_equal(git_oid_tostr_s(&id), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	free(tree);
}

/* A 64 MiB blob streams through in bounded memory. */
static void test_large_stream(void **state)
{
	const size_t total = 64u << 20, piece = 64 << 10;
	fixture *f = *state;
	uint8_t *chunk = malloc(piece);
	struct rusage before, after;
	char hex[GIT_OID_HEXSZ + 1], out[64];
	svd_packw *pw;
	size_t at, i;
	git_oid oid;

	assert_non_null(chunk);
	/* text-like: compressible but not trivial */
	for (i = 0; i < piece; i++)
		chunk[i] = (uint8_t)("abcdefghijklmnopqrstuvwxyz \n"[(i * 7 + i / 97) % 28]);
	getrusage(RUSAGE_SELF, &before);
	assert_int_equal(svd_packw_new(&pw, f->repo), 0);
	assert_int_equal(svd_packw_blob_begin(pw, total), 0);
	for (at = 0; at < total; at += piece) {
		chunk[0] = (uint8_t)(at >> 16); /* no two pieces alike */
		assert_int_equal(svd_packw_blob_write(pw, chunk, piece), 0);
	}
	assert_int_equal(svd_packw_blob_end(&oid, pw), 0);
	assert_int_equal(svd_packw_finish(pw), 0);
	svd_packw_free(pw);
	getrusage(RUSAGE_SELF, &after);
	/* far below the blob's size (maxrss is in KiB) */
	assert_true(after.ru_maxrss - before.ru_maxrss < 16 * 1024);

	git_oid_tostr(hex, sizeof(hex), &oid);
	assert_int_equal(
	    run(f, out, sizeof(out), NULL, 0, "git -C %s cat-file -s %s", f->gitdir, hex), 0);
	assert_int_equal(strtoull(out, NULL, 10), total);
	/* git recomputes the id from the content */
	assert_int_equal(run(f, out, sizeof(out), NULL, 0,
	                     "git -C %s cat-file blob %s | git hash-object --stdin", f->gitdir,
	                     hex),
	                 0);
	out[GIT_OID_HEXSZ] = '\0';
	assert_string_equal(out, hex);
	assert_verify_pack(f, 1);
	free(chunk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full_pack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_pack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_packs_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_misuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_finish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_unfinished, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_after_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collision_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_objects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_order, setup, teardown),
	    cmocka_unit_test(test_tree_refused),
	    cmocka_unit_test(test_tree_empty),
	    cmocka_unit_test_setup_teardown(test_large_stream, setup, teardown),
	};
	int failed;

	/* stock git in the tests must not read the user's configuration */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	if (svd_init() < 0)
		return 1;
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	svd_shutdown();
	return failed;
}
