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
	fprintf(
	    out,
	    "usage: samvydav list [--all|--pending] [--lang TAG] [--kind KIND] [--region TEXT]\n"
	    "                     [--json]\n"
	    "\n"
	    "List the items the archive shows, newest publication first: id (first\n"
	    "12 digits), date, language, kind and title. An item without a\n"
	    "publication date shows '-' as its date and comes after every dated one\n"
	    "(the undated newest made first). An item withdrawn by a retraction, or\n"
	    "one no trusted key signs, is not shown (it stays in the store); --all\n"
	    "lists those too, saying why each is hidden. Signatures are checked\n"
	    "against the trust list; 'samvydav verify' also hashes every file.\n"
	    "\n"
	    "  --all           hidden items too: withdrawn (by which retraction, when,\n"
	    "                  signed by whom), refused and revoked (why), pending, and\n"
	    "                  the statements (certificates, revocations, checkpoints)\n"
	    "  --pending       only the items held back because they have fewer\n"
	    "                  signatures than their kind needs here (to co-sign them\n"
	    "                  with 'samvydav sign')\n"
	    "  --lang TAG      only items in this language (exact tag, e.g. uk)\n"
	    "  --kind KIND     only articles, testimonies, corrections, retractions,\n"
	    "                  certificates, revocations or checkpoints\n"
	    "  --region TEXT   only items about this region\n"
	    "  --json          a JSON array of the manifests' fields, with full ids,\n"
	    "                  \"date\" (the publication date, null for none),\n"
	    "                  \"state\" and, when set, \"superseded_by\", \"withdrawn\",\n"
	    "                  \"why\" and \"note\"\n");
}

typedef struct filter {
	const char *lang, *kind, *region;
	json_t *manifests; /* id -> the manifest's fields (--json, --region) */
} filter;

static json_t *strings(const svd_manifest *m, int authors)
{
	json_t *a = json_array();
	size_t i, n = authors ? svd_manifest_author_count(m) : svd_manifest_tag_count(m);

	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, json_string(authors ? svd_manifest_author(m, i) : svd_manifest_tag(m, i)));
	return a;
}

/* Each manifest's fields, by id, for the rows the view orders. */
static int collect(const char *id, const svd_manifest *m, void *payload)
{
	filter *f = payload;
	json_t *row;

	if (!m)
		return 0; /* the view calls it refused, and says why */
	row = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o}", "id", id, "kind",
	                svd_kind_name(svd_manifest_kind(m)), "title", svd_manifest_get(m, "title"),
	                "lang", svd_manifest_get(m, "lang"), "published",
	                svd_manifest_get(m, "published"), "region", svd_manifest_get(m, "region"),
	                "source", svd_manifest_get(m, "source"), "supersedes",
	                svd_manifest_get(m, "supersedes"), "retracts",
	                svd_manifest_get(m, "retracts"), "created", svd_manifest_get(m, "created"),
	                "authors", strings(m, 1), "tags", strings(m, 0));
	if (!row || json_object_set_new(f->manifests, id, row) < 0)
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

static int wanted(const filter *f, const svd_view_item *it)
{
	json_t *m = f->manifests ? json_object_get(f->manifests, it->id) : NULL;
	const char *region = m ? json_string_value(json_object_get(m, "region")) : NULL;

	if (f->lang && strcmp(f->lang, it->lang))
		return 0;
	if (f->kind &&
	    (!it->title[0] && !it->lang[0] ? 1 : strcmp(f->kind, svd_kind_name(it->kind))))
		return 0;
	return !f->region || (region && !strcmp(f->region, region));
}

int cmd_list(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    {"lang", required_argument, NULL, 'l'},   {"kind", required_argument, NULL, 'k'},
	    {"region", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
	    {"all", no_argument, NULL, 'a'},          {"pending", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	filter f = {0};
	svd_archive *a = NULL;
	svd_view *v = NULL;
	json_t *out = NULL;
	size_t i, n;
	int c, json = 0, all = 0, pending = 0, error, code;
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
		case 'a':
			all = 1;
			break;
		case 'p':
			pending = all = 1;
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
	if (!(v = cli_view_open(a, &code)))
		goto cleanup;
	if ((json || f.region) && (f.manifests = json_object()) &&
	    (error = svd_store_foreach(a, collect, &f)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	n = all ? svd_view_size(v) : svd_view_count(v);
	out = json ? json_array() : NULL;
	for (i = 0; i < n; i++) {
		const svd_view_item *it = all ? svd_view_at(v, i) : svd_view_row(v, i);
		char why[512];
		if (!wanted(&f, it) || (pending && it->state != SVD_VIEW_PENDING))
			continue;
		if (json) {
			json_t *row = json_object_get(f.manifests, it->id);
			row = row ? json_deep_copy(row) : json_pack("{s:s}", "id", it->id);
			json_object_set_new(row, "date",
			                    it->date[0] ? json_string(it->date) : json_null());
			cli_view_json(row, v, it);
			json_array_append_new(out, row);
			continue;
		}
		cli_view_why(why, sizeof(why), v, it);
		/* no date: '-', so that the columns stay columns */
		printf("%.12s  %-10.10s  %-5s  %-10s  %s%s%s%s\n", it->id,
		       it->date[0] ? cli_shown(it->date) : "-", cli_shown(it->lang),
		       it->title[0] || it->lang[0] ? svd_kind_name(it->kind) : "?",
		       cli_shown(it->title), why[0] ? "  (" : "", cli_shown_msg(why),
		       why[0] ? ")" : "");
	}
	if (json) {
		code = cli_print_json(out);
		out = NULL;
	}
cleanup:
	json_decref(out);
	json_decref(f.manifests);
	svd_view_free(v);
	svd_archive_free(a);
	return code;
}
