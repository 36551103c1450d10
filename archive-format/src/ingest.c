/*
 * ingest.c: items from an editor's files into an operation
 * (svd_txn_add_path, ingest.h): a folder holding one item, a folder of item
 * folders, or a JSON lines file (SPEC.md, "Adding from files"). It reads
 * the folders and lines: meta.json and its payloads made into a new item,
 * a prepared item's manifest, payloads and signatures taken as they are;
 * it says how each item fared and which errors end the whole operation.
 * Items are built, signed and staged through the store's draft.h and
 * stage.h, which name no git type; nothing here knows git.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "samvydav/ingest.h"
#include "draft.h"
#include "stage.h"
#include "util.h"

#define JSONL_LINE_MAX (1024 * 1024)
#define META_NAME      "meta.json"
#define SIDE_SIG_NAME  "manifest.json.minisig"
#define ITEM_DIR_MAX   (SVD_ITEM_MAX_FILES + 16) /* entries read from one item folder */

/* Metadata fields, as in a manifest, from a meta.json or a JSON line. */
static int meta_to_manifest(svd_manifest *m, json_t *obj, int jsonl, const char *source)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return svd_error_set(SVD_EINVALID, "%s: metadata must be a JSON object", source);
	json_object_foreach(obj, key, val)
	{
		int error = 0;
		size_t i;
		json_t *x;

		/* null means "not known", as if the field were not there */
		if (json_is_null(val) ||
		    (jsonl && (!strcmp(key, "body") || !strcmp(key, "attachments"))))
			continue;
		if (!strcmp(key, "kind")) {
			svd_kind kind;
			if (!json_is_string(val) ||
			    svd_kind_parse(&kind, json_string_value(val)) < 0)
				return svd_error_set(SVD_EINVALID,
				                     "%s: kind must be article, testimony, "
				                     "correction or retraction",
				                     source);
			if (svd_kind_is_statement(kind))
				return svd_error_set(SVD_EINVALID,
				                     "%s: kind %s: a statement, which has no "
				                     "metadata file; make it with 'samvydav "
				                     "certify', 'revoke' or 'checkpoint', or add "
				                     "its manifest.json and signatures as a "
				                     "prepared item folder",
				                     source, json_string_value(val));
			error = svd_manifest_set_kind(m, kind);
		} else if (!strcmp(key, "authors") || !strcmp(key, "tags")) {
			if (!json_is_array(val))
				return svd_error_set(SVD_EINVALID, "%s: %s must be a list of texts",
				                     source, key);
			json_array_foreach(val, i, x)
			{
				if (!json_is_string(x))
					return svd_error_set(SVD_EINVALID,
					                     "%s: %s must be a list of texts",
					                     source, key);
				error = key[0] == 'a'
				            ? svd_manifest_add_author(m, json_string_value(x))
				            : svd_manifest_add_tag(m, json_string_value(x));
				if (error < 0)
					break;
			}
		} else if (!strcmp(key, "title") || !strcmp(key, "lang") ||
		           !strcmp(key, "published") || !strcmp(key, "source") ||
		           !strcmp(key, "region") || !strcmp(key, "supersedes") ||
		           !strcmp(key, "retracts") || !strcmp(key, "created")) {
			if (!json_is_string(val))
				return svd_error_set(SVD_EINVALID, "%s: %s must be a text", source,
				                     key);
			error = svd_manifest_set(m, key, json_string_value(val));
		} else {
			return svd_error_set(SVD_EINVALID, "%s: unknown field \"%s\"", source, key);
		}
		if (error < 0)
			return svd_error_set(error, "%s: %s", source, svd_error_last());
	}
	return 0;
}

/* Report an item refused before the gate ran, through the caller's callback. */
static int report_refusal(svd_txn *t, const char *source, const char *file, const char *check,
                          svd_item_cb cb, void *payload)
{
	const char *last = svd_error_last();
	size_t slen = strlen(source);
	svd_verdict *v = NULL;
	char msg[1024];
	int r = 0;

	/* the message may start with the source too; say it once */
	while (!strncmp(last, source, slen) && !strncmp(last + slen, ": ", 2))
		last += slen + 2;
	snprintf(msg, sizeof(msg), "%s", last);
	svd_txn_note_refused(t);
	if (!cb)
		return 0;
	if (svd_verdict_new(&v) < 0 || svd_verdict_set_source(v, source) < 0 ||
	    svd_verdict_add_problem(v, file, check, "%s", msg) < 0) {
		svd_verdict_free(v);
		return SVD_ERROR;
	}
	r = cb(v, payload);
	svd_verdict_free(v);
	return r;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* The names in a folder, sorted, without "." and "..". */
static int list_dir(char ***out, size_t *n, const char *path, size_t max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot read folder: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == max) {
			closedir(d);
			free_list(v, *n);
			*n = 0;
			return svd_error_set(
			    SVD_ETOOBIG, "%s: more than %zu entries, more than any item may hold",
			    path, max);
		}
		if (*n == cap) {
			char **p;
			cap = cap ? cap * 2 : 32;
			if (!(p = realloc(v, cap * sizeof(*p))))
				goto oom;
			v = p;
		}
		if (!(v[*n] = strdup(e->d_name)))
			goto oom;
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_str);
	*out = v;
	return 0;
oom:
	closedir(d);
	while (*n > 0)
		free(v[--*n]);
	free(v);
	return svd_error_set(SVD_ERROR, "out of memory");
}

/*
 * Errors that end the whole operation: the archive cannot be written, or
 * the signing key is refused (every item would be). Any other error refuses
 * one item and the operation goes on with the next.
 */
static int is_fatal(int error)
{
	return error == SVD_ERROR || error == SVD_EUNTRUSTED || error == SVD_ELOCKED;
}

/*
 * After one item: tell the caller how it fared and say whether to go on.
 * Returns 0 (accepted), SVD_ECORRUPT (refused; go on), or an error or the
 * callback's non-zero value (stop).
 */
static int finish_item(svd_txn *t, int error, svd_verdict *v, const char *source, const char *file,
                       svd_item_cb cb, void *payload)
{
	int r;

	if (error == 0 || (error == SVD_ECORRUPT && v)) {
		r = cb && v ? cb(v, payload) : 0;
		return r ? r : error;
	}
	if (is_fatal(error))
		return error;
	r = report_refusal(t, source, file, "metadata", cb, payload);
	return r ? r : SVD_ECORRUPT;
}

static int load_json(json_t **out, const char *path)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len;
	int error;

	*out = NULL;
	if ((error = svd_file_read(&buf, &len, path, SVD_MANIFEST_MAX)) < 0)
		return error;
	if (!(*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)))
		error = svd_error_set(SVD_EINVALID, "%s: line %d: %s", path, jerr.line, jerr.text);
	free(buf);
	return error;
}

/* A source folder: meta.json and its payload files. */
static int add_meta_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                        void *payload)
{
	char **names = NULL, *meta_path = NULL;
	svd_source_file *files = NULL;
	svd_manifest *m = NULL;
	svd_verdict *v = NULL;
	json_t *meta = NULL;
	size_t n = 0, nfiles = 0, i;
	int error;

	if (!(meta_path = svd_path_join(dir, META_NAME)))
		return SVD_ERROR;
	if (!sk)
		error = svd_error_set(SVD_EINVALID,
		                      "%s: an item made from meta.json must be signed: give --key",
		                      dir);
	else if ((error = load_json(&meta, meta_path)) == 0 &&
	         (error = svd_manifest_new(&m)) == 0 &&
	         (error = meta_to_manifest(m, meta, 0, meta_path)) == 0 &&
	         (error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) == 0) {
		if (!(files = calloc(n ? n : 1, sizeof(*files))))
			error = svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; i < n && error == 0; i++) {
			/* meta.json is the recipe, not a payload; hidden files are not content */
			if (!strcmp(names[i], META_NAME) || names[i][0] == '.')
				continue;
			files[nfiles].name = names[i];
			if (!(files[nfiles].path = svd_path_join(dir, names[i])))
				error = SVD_ERROR;
			else
				nfiles++;
		}
		if (error == 0)
			error = svd_txn_add_new_from(t, m, files, nfiles, sk, dir, &v);
	}
	error = finish_item(t, error, v, dir, META_NAME, cb, payload);
	for (i = 0; i < nfiles; i++)
		free((char *)files[i].path);
	free(files);
	free_list(names, n);
	svd_verdict_free(v);
	svd_manifest_free(m);
	json_decref(meta);
	free(meta_path);
	return error;
}

/* Read a small file (manifest, signature) into the draft, or list it as over the cap. */
static int draft_add_small(svd_draft *d, svd_stage *sg, const char *path, const char *file,
                           size_t cap)
{
	char *buf = NULL;
	size_t len;
	svd_entry *e;
	int error = svd_file_read(&buf, &len, file, cap);

	if (error == 0) {
		error = svd_draft_add_bytes(d, sg, path, buf, len);
	} else if (error == SVD_ETOOBIG || error == SVD_ECORRUPT) {
		/* the gate names it: too big, or a link or special file */
		struct stat st;
		if ((error = svd_draft_push(d, path, &e)) == 0) {
			e->type = lstat(file, &st) == 0 && S_ISREG(st.st_mode) ? SVD_ENTRY_FILE
			                                                       : SVD_ENTRY_OTHER;
			e->size = e->type == SVD_ENTRY_FILE ? (uint64_t)st.st_size : 0;
		}
	}
	free(buf);
	return error;
}

/* The sig/ folder of a prepared item. */
static int draft_add_sig_dir(svd_draft *d, svd_stage *sg, const char *dir)
{
	char **names = NULL, path[SVD_NAME_MAX + 8];
	size_t n = 0, i;
	int error;
	svd_entry *e;

	if ((error = svd_draft_push(d, SVD_SIG_DIR, &e)) < 0)
		return error;
	e->type = SVD_ENTRY_DIR;
	if ((error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		char *file = svd_path_join(dir, names[i]);
		if (!file) {
			error = SVD_ERROR;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", SVD_SIG_DIR, names[i]);
		error = draft_add_small(d, sg, path, file, SVD_SIGFILE_MAX);
		free(file);
	}
	free_list(names, n);
	return error;
}

/*
 * A signature made by stock minisign beside the manifest
 * (manifest.json.minisig) is filed under sig/ by its key id.
 */
static int draft_add_side_sig(svd_draft *d, svd_stage *sg, const char *file)
{
	char *buf = NULL, path[64];
	size_t len;
	svd_sig *sig = NULL;
	int error = svd_file_read(&buf, &len, file, SVD_SIGFILE_MAX);

	if (error < 0)
		return error;
	if ((error = svd_sig_parse(&sig, buf, len)) < 0) {
		error = svd_error_set(error == SVD_ERROR ? error : SVD_ECORRUPT, "%s: %s", file,
		                      svd_error_last());
		goto cleanup;
	}
	svd_draft_sig_path(path, sizeof(path), svd_sig_keyid(sig));
	error = svd_draft_add_bytes(d, sg, path, buf, len);
cleanup:
	svd_sig_free(sig);
	free(buf);
	return error;
}

/* A prepared item folder: manifest.json, payloads and signatures, taken as they are. */
static int add_prepared_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                            void *payload)
{
	svd_stage *sg = NULL;
	char **names = NULL;
	size_t n = 0, i;
	svd_verdict *v = NULL;
	svd_draft d = {0};
	uint64_t bytes = 0; /* read from files */
	int error;

	if ((error = svd_stage_begin(&sg, t)) < 0 ||
	    (error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		char *file = svd_path_join(dir, names[i]);
		struct stat st;

		if (!file) {
			error = SVD_ERROR;
			break;
		}
		if (lstat(file, &st) < 0) {
			error = svd_error_set(SVD_ERROR, "%s: %s", file, strerror(errno));
		} else if (!strcmp(names[i], SVD_MANIFEST_NAME)) {
			error = draft_add_small(&d, sg, names[i], file, SVD_MANIFEST_MAX);
		} else if (!strcmp(names[i], SIDE_SIG_NAME)) {
			error = draft_add_side_sig(&d, sg, file);
		} else if (!strcmp(names[i], SVD_SIG_DIR) && S_ISDIR(st.st_mode)) {
			error = draft_add_sig_dir(&d, sg, file);
		} else {
			error = svd_draft_add_file(&d, sg, names[i], file, 0, &bytes);
		}
		free(file);
	}
	/* sign what the manifest says, if it is one; the gate judges the rest */
	if (error == 0 && sk)
		error = svd_draft_sign_manifest(t, &d, sg, sk);
	if (error == 0)
		error =
		    svd_stage_finish(sg, NULL, d.entries, d.n, dir, SVD_CHECK_DROP_BAD_SIGS, &v);
done:
	/* an item that did not reach the gate leaves nothing in the pack */
	svd_stage_free(sg);
	svd_txn_note_bytes(t, bytes);
	error = finish_item(t, error, v, dir, "", cb, payload);
	svd_verdict_free(v);
	free_list(names, n);
	svd_draft_clear(&d);
	return error;
}

static int add_item_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                        void *payload)
{
	char *p = svd_path_join(dir, META_NAME);
	struct stat st;
	int meta;

	if (!p)
		return SVD_ERROR;
	meta = stat(p, &st) == 0;
	free(p);
	/* a prepared item may carry a payload named meta.json: its manifest decides */
	if (meta && !(p = svd_path_join(dir, SVD_MANIFEST_NAME)))
		return SVD_ERROR;
	if (meta) {
		meta = stat(p, &st) != 0;
		free(p);
	}
	return meta ? add_meta_dir(t, dir, sk, cb, payload)
	            : add_prepared_dir(t, dir, sk, cb, payload);
}

/* Is this folder an item itself (rather than a folder of items)? */
static int is_item_dir(const char *dir)
{
	struct stat st;
	char *a = svd_path_join(dir, SVD_MANIFEST_NAME), *b = svd_path_join(dir, META_NAME);
	int yes = (a && stat(a, &st) == 0) || (b && stat(b, &st) == 0);

	free(a);
	free(b);
	return yes;
}

/* Read one line of at most max bytes; longer lines are an error, not split. */
static int read_line(char **line, size_t *len, FILE *f, size_t max)
{
	size_t cap = 0;
	ssize_t n;

	free(*line);
	*line = NULL;
	n = getline(line, &cap, f);
	if (n < 0) {
		if (ferror(f))
			return svd_error_set(SVD_ERROR, "cannot read: %s", strerror(errno));
		return 1;
	}
	*len = (size_t)n;
	if (*len > max)
		return SVD_ETOOBIG;
	return 0;
}

/* A file named in a JSON line: absolute as given, else relative to the file's folder. */
static char *resolve_path(const char *base, const char *path)
{
	return path[0] == '/' ? svd_strdup(path) : svd_path_join(base, path);
}

/* One JSON line: metadata, "body" (a path) and "attachments" (paths), relative to the file. */
static int add_json_line(svd_txn *t, const char *line, size_t len, const char *base,
                         const svd_seckey *sk, const char *source, svd_verdict **v)
{
	json_error_t jerr;
	json_t *obj = NULL, *body, *att, *x;
	svd_manifest *m = NULL;
	svd_source_file *files = NULL;
	size_t nfiles = 0, i;
	int error;

	if (!(obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)))
		return svd_error_set(SVD_EINVALID, "%s: %s", source, jerr.text);
	if ((error = svd_manifest_new(&m)) < 0 || (error = meta_to_manifest(m, obj, 1, source)) < 0)
		goto cleanup;
	body = json_object_get(obj, "body");
	att = json_object_get(obj, "attachments");
	if ((body && !json_is_string(body)) || (att && !json_is_array(att))) {
		error = svd_error_set(SVD_EINVALID,
		                      "%s: body must be a file name, attachments a list of them",
		                      source);
		goto cleanup;
	}
	if (!(files = calloc(1 + (att ? json_array_size(att) : 0), sizeof(*files)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (body) {
		files[0].name = "body.md";
		if (!(files[0].path = resolve_path(base, json_string_value(body)))) {
			error = SVD_ERROR;
			goto cleanup;
		}
		nfiles = 1;
	}
	json_array_foreach(att, i, x)
	{
		const char *slash;
		if (!json_is_string(x)) {
			error = svd_error_set(SVD_EINVALID, "%s: attachments must be file names",
			                      source);
			goto cleanup;
		}
		slash = strrchr(json_string_value(x), '/');
		files[nfiles].name = slash ? slash + 1 : json_string_value(x);
		if (!(files[nfiles].path = resolve_path(base, json_string_value(x)))) {
			error = SVD_ERROR;
			goto cleanup;
		}
		nfiles++;
	}
	error = svd_txn_add_new_from(t, m, files, nfiles, sk, source, v);
cleanup:
	for (i = 0; i < nfiles; i++)
		free((char *)files[i].path);
	free(files);
	svd_manifest_free(m);
	json_decref(obj);
	return error;
}

static int add_jsonl(svd_txn *t, const char *path, const svd_seckey *sk, svd_item_cb cb,
                     void *payload)
{
	FILE *f = NULL;
	struct stat st;
	char *line = NULL, *base, source[4200];
	const char *slash = strrchr(path, '/');
	size_t len = 0, lineno = 0;
	int fd = -1, error = 0, refused = 0, r;

	if (!sk)
		return svd_error_set(SVD_EINVALID,
		                     "%s: items from JSON lines must be signed: give --key", path);
	if (!(base = slash ? strndup(path, (size_t)(slash - path)) : strdup(".")))
		return svd_error_set(SVD_ERROR, "out of memory");
	/* swapped for a FIFO since it was listed: refused, not waited on */
	if ((error = svd_file_open_regular(&fd, &st, path, 0)) < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		free(base);
		return error < 0 ? error : svd_error_set(SVD_ERROR, "out of memory");
	}
	while ((r = read_line(&line, &len, f, JSONL_LINE_MAX)) != 1) {
		svd_verdict *v = NULL;

		lineno++;
		snprintf(source, sizeof(source), "%s:%zu", path, lineno);
		if (r == SVD_ERROR) {
			error = svd_error_set(SVD_ERROR, "%s: %s", source, svd_error_last());
			break;
		}
		if (r == SVD_ETOOBIG)
			error = svd_error_set(SVD_ETOOBIG, "%s: a line over %d bytes", source,
			                      JSONL_LINE_MAX);
		else if (strspn(line, " \t\r\n") == len)
			continue;
		else
			error = add_json_line(t, line, len, base, sk, source, &v);
		error = finish_item(t, error, v, source, "", cb, payload);
		svd_verdict_free(v);
		if (error == SVD_ECORRUPT) {
			refused = 1;
			error = 0;
		}
		if (error != 0)
			break;
	}
	free(line);
	fclose(f);
	free(base);
	if (error == 0 && refused)
		error = svd_error_set(SVD_ECORRUPT, "%s: some items were refused", path);
	return error;
}

int svd_txn_add_path(svd_txn *t, const char *path, const svd_seckey *sk, svd_item_cb cb,
                     void *payload)
{
	struct stat st;
	char **names = NULL;
	size_t n = 0, i;
	int error = 0, refused = 0;

	if (stat(path, &st) < 0)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR, "%s: %s", path,
		                     strerror(errno));
	if (S_ISREG(st.st_mode))
		return add_jsonl(t, path, sk, cb, payload);
	if (!S_ISDIR(st.st_mode))
		return svd_error_set(SVD_EINVALID, "%s: neither a folder nor a file", path);
	if (is_item_dir(path))
		return add_item_dir(t, path, sk, cb, payload);
	if ((error = list_dir(&names, &n, path, SIZE_MAX)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		char *dir;
		if (names[i][0] == '.')
			continue;
		if (!(dir = svd_path_join(path, names[i]))) {
			error = SVD_ERROR;
			break;
		}
		/* a folder of item folders: anything else in it is not an item */
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			error = add_item_dir(t, dir, sk, cb, payload);
			if (error == SVD_ECORRUPT) {
				refused = 1;
				error = 0;
			}
		}
		free(dir);
	}
	free_list(names, n);
	if (error == 0 && refused)
		error = svd_error_set(SVD_ECORRUPT, "%s: some items were refused", path);
	return error;
}
