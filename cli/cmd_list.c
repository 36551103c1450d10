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
} filter;

/* A list the view keeps joined (authors, tags) as a JSON array of strings. */
static json_t *strings(const char *joined)
{
	json_t *a = json_array();

	while (a && joined && *joined) {
		const char *end = strchr(joined, SVD_VIEW_LIST_END);
		size_t n = end ? (size_t)(end - joined) : strlen(joined);
		json_array_append_new(a, json_stringn(joined, n));
		joined += n + (end != NULL);
	}
	return a;
}

/* An item's row of --json: its manifest's fields, as the view holds them, then its state. */
static json_t *json_row(const svd_view_item *it, const svd_view_item *r)
{
	json_t *row;

	if (!it->title[0] &&
	    !it->lang[0]) /* no manifest: the view calls it refused, and says why */
		row = json_pack("{s:s}", "id", it->id);
	else
		row = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o}", "id",
		                it->id, "kind", svd_kind_name(it->kind), "title", it->title, "lang",
		                it->lang, "published", it->date[0] ? it->date : NULL, "region",
		                it->region, "source", it->source, "supersedes", it->supersedes,
		                "retracts", it->retracts, "created", it->created, "authors",
		                strings(it->authors), "tags", strings(it->tags));
	if (!row)
		return NULL;
	json_object_set_new(row, "date", it->date[0] ? json_string(it->date) : json_null());
	cli_view_json(row, it, r);
	return row;
}

/* s, then spaces to width columns (bytes: the fields padded are ASCII). */
static void padded(const char *s, size_t width)
{
	size_t n = strlen(s);

	fputs(s, stdout);
	for (; n < width; n++)
		putchar(' ');
}

/*
 * A row of the listing: "ID12  DATE        LANG   KIND        TITLE
 * (WHY)", as printf("%.12s  %-10.10s  %-5s  %-10s  %s") would write it;
 * written piece by piece, a million rows take a fraction of printf's time.
 */
static void text_row(const svd_view_item *it, const char *why)
{
	char date[11];

	/* no date: '-', so that the columns stay columns */
	snprintf(date, sizeof(date), "%s", it->date[0] ? cli_shown(it->date) : "-");
	fwrite(it->id, 1, 12, stdout);
	fputs("  ", stdout);
	padded(date, 10);
	fputs("  ", stdout);
	padded(cli_shown(it->lang), 5);
	fputs("  ", stdout);
	padded(it->title[0] || it->lang[0] ? svd_kind_name(it->kind) : "?", 10);
	fputs("  ", stdout);
	fputs(cli_shown(it->title), stdout);
	if (why[0]) {
		fputs("  (", stdout);
		fputs(cli_shown_msg(why), stdout);
		putchar(')');
	}
	putchar('\n');
}

static int wanted(const filter *f, const svd_view_item *it)
{
	if (f->lang && strcmp(f->lang, it->lang))
		return 0;
	if (f->kind &&
	    (!it->title[0] && !it->lang[0] ? 1 : strcmp(f->kind, svd_kind_name(it->kind))))
		return 0;
	return !f->region || (it->region && !strcmp(f->region, it->region));
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
	cli_items items = {0};
	const svd_view_item *it, *r;
	size_t rows = 0;
	int c, json = 0, all = 0, pending = 0, code, got;
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
	/*
	 * The list beside the store (or the view, which writes it), one item
	 * at a time: a million items are never all in memory.
	 */
	if ((code = cli_items_open(&items, a)) != 0)
		goto cleanup;
	if (json)
		fputc('[', stdout);
	while ((got = cli_items_next(&items, &it, &r)) > 0) {
		char why[512];
		if ((!all && it->state != SVD_VIEW_SHOWN) || !wanted(&f, it) ||
		    (pending && it->state != SVD_VIEW_PENDING))
			continue;
		if (json) {
			if (rows++)
				fputc(',', stdout);
			if ((code = cli_json_write(json_row(it, r))) != 0)
				goto cleanup;
			continue;
		}
		if (it->state == SVD_VIEW_SHOWN && !it->note)
			why[0] = '\0'; /* the common case, without a format */
		else
			cli_view_why(why, sizeof(why), it, r);
		text_row(it, why);
	}
	if (got < 0) {
		code = -got;
		goto cleanup;
	}
	if (json && fputs("]\n", stdout) < 0) {
		cli_error("cannot write JSON output");
		code = EXIT_FAIL;
	}
cleanup:
	cli_items_free(&items);
	svd_archive_free(a);
	return code;
}
