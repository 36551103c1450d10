/*
 * cmd_list.c: samvydav list — the items, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav list [--lang TAG] [--kind KIND] [--region TEXT] [--json]\n"
	             "\n"
	             "List the archive's items, newest publication first: id (first 12\n"
	             "digits), date, language, kind and title. Reads only the manifests;\n"
	             "'samvydav verify' checks files and signatures.\n"
	             "\n"
	             "  --lang TAG      only items in this language (exact tag, e.g. uk)\n"
	             "  --kind KIND     only articles, testimonies, corrections or retractions\n"
	             "  --region TEXT   only items about this region\n"
	             "  --json          a JSON array of the manifests' fields, with full ids\n");
}

typedef struct filter {
	const char *lang, *kind, *region;
	json_t *rows;
} filter;

static const char *date_of(const svd_manifest *m)
{
	const char *d = svd_manifest_get(m, "published");

	return d ? d : svd_manifest_get(m, "created");
}

static json_t *strings(const svd_manifest *m, int authors)
{
	json_t *a = json_array();
	size_t i, n = authors ? svd_manifest_author_count(m) : svd_manifest_tag_count(m);

	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, json_string(authors ? svd_manifest_author(m, i) : svd_manifest_tag(m, i)));
	return a;
}

static int collect(const char *id, const svd_manifest *m, void *payload)
{
	filter *f = payload;
	json_t *row;

	if (!m) {
		fprintf(stderr,
		        "samvydav: item %s: the manifest does not parse; run "
		        "'samvydav verify %s'\n",
		        id, id);
		return 0;
	}
	if ((f->lang && strcmp(f->lang, svd_manifest_get(m, "lang"))) ||
	    (f->kind && strcmp(f->kind, svd_kind_name(svd_manifest_kind(m)))) ||
	    (f->region &&
	     (!svd_manifest_get(m, "region") || strcmp(f->region, svd_manifest_get(m, "region")))))
		return 0;
	row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o}", "id", id,
	                "kind", svd_kind_name(svd_manifest_kind(m)), "title",
	                svd_manifest_get(m, "title"), "lang", svd_manifest_get(m, "lang"), "date",
	                date_of(m), "published", svd_manifest_get(m, "published"), "region",
	                svd_manifest_get(m, "region"), "source", svd_manifest_get(m, "source"),
	                "supersedes", svd_manifest_get(m, "supersedes"), "retracts",
	                svd_manifest_get(m, "retracts"), "created", svd_manifest_get(m, "created"),
	                "authors", strings(m, 1), "tags", strings(m, 0));
	if (!row || json_array_append_new(f->rows, row) < 0)
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

/* Newest first; the same date falls back to the id, so the order is stable. */
static int cmp_rows(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	int c = strcmp(json_string_value(json_object_get(b, "date")),
	               json_string_value(json_object_get(a, "date")));

	return c ? c
	         : strcmp(json_string_value(json_object_get(a, "id")),
	                  json_string_value(json_object_get(b, "id")));
}

int cmd_list(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    {"lang", required_argument, NULL, 'l'},   {"kind", required_argument, NULL, 'k'},
	    {"region", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	filter f = {0};
	svd_archive *a = NULL;
	json_t **rows = NULL, *out;
	size_t i, n;
	int c, json = 0, error, code;
	svd_kind kind;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			f.lang = optarg;
			break;
		case 'k':
			if (svd_kind_parse(&kind, optarg) < 0)
				return cli_usage("list", "no kind '%s'", optarg);
			f.kind = optarg;
			break;
		case 'r':
			f.region = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("list", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("list", "unexpected argument '%s'", argv[optind]);
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	f.rows = json_array();
	if ((error = svd_store_foreach(a, collect, &f)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	n = json_array_size(f.rows);
	if (!(rows = malloc((n ? n : 1) * sizeof(*rows)))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(f.rows, i);
	qsort(rows, n, sizeof(*rows), cmp_rows);
	if (json) {
		out = json_array();
		for (i = 0; i < n; i++)
			json_array_append(out, rows[i]);
		code = cli_print_json(out);
	} else {
		for (i = 0; i < n; i++) {
			json_t *r = rows[i];
			printf("%.12s  %-10.10s  %-5s  %-10s  %s\n",
			       json_string_value(json_object_get(r, "id")),
			       json_string_value(json_object_get(r, "date")),
			       json_string_value(json_object_get(r, "lang")),
			       json_string_value(json_object_get(r, "kind")),
			       json_string_value(json_object_get(r, "title")));
		}
	}
cleanup:
	free(rows);
	json_decref(f.rows);
	svd_archive_free(a);
	return code;
}
