/*
 * cmd_stick.c: samvydav stick — the one-plug exchange with a courier's
 * stick, as the daemon does it (svd_stick_sync(), stick.h), by hand.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav stick [--plain | --sealed] [--folder NAME] [--max-size SIZE]\n"
	        "                      [--threads N] [--json] [-q] PATH\n"
	        "\n"
	        "Exchange with a courier's stick mounted at PATH, in one go, as samvydavd\n"
	        "does when a stick appears: import every bundle the stick carries through\n"
	        "the gate (one commit per bundle); for every other mirror's have-file on\n"
	        "it, write onto the stick one bundle of what that mirror lacks and the\n"
	        "stick does not carry already; replace this mirror's own have-file; and\n"
	        "flush everything to the device. When it says so, the stick may be\n"
	        "removed. A stick's first trip carries this mirror's have-file to the\n"
	        "next mirror.\n"
	        "\n"
	        "When the network has mirrors ('samvydav network add'), the stick is\n"
	        "sealed: every file written is sealed for all of them and named with 16\n"
	        "random hex digits, in the stick's root or the network's folder\n"
	        "('samvydav network folder'); nothing names the project, a mirror, a key\n"
	        "or a time. This mirror finds its files by trying to open each file there\n"
	        "(at most 4096); a file no key opens is left alone, and the leftover of an\n"
	        "interrupted write is removed. Otherwise (and for sticks written so) the\n"
	        "plain layout: PATH/samvydav/bundles/*.tar.zst and PATH/samvydav/have/.\n"
	        "\n"
	        "Nothing else on the stick is changed or removed but this mirror's own\n"
	        "have-files; new files are written under a temporary name, synced, then\n"
	        "renamed. A bundle that does not fit in the stick's free space (less\n"
	        "16 MiB) is left for the next trip, and the output says so. No record is\n"
	        "kept of the bundles read: each run reads them all again (importing a\n"
	        "bundle twice changes nothing).\n"
	        "\n"
	        "  --plain            the plain layout, even when the network has mirrors\n"
	        "  --sealed           the sealed layout (the network must have mirrors)\n"
	        "  --folder NAME      sealed: the folder on the stick, '/' for its root\n"
	        "                     (default: the network's, 'samvydav network folder')\n"
	        "  --max-size SIZE    split what is written into bundles of at most SIZE\n"
	        "                     bytes (K, M, G: 1024-based; default 3900M, for FAT32)\n"
	        "  -j, --threads N    compression threads, 1 to 16 (default: one per core)\n"
	        "  --json             one JSON object: bundles read, files written for each\n"
	        "                     mirror, parts left, and whether the stick is safe to\n"
	        "                     remove\n"
	        "  -q, --quiet        no progress, no summary (problems are still reported)\n"
	        "\n"
	        "Exit codes: 0 done; 3 items refused or lost to damage, or a have-file\n"
	        "refused; 1 a bundle could not be read, or something could not be written\n"
	        "(the output says whether the stick may be removed); 4 no such PATH;\n"
	        "5 another process is writing to the archive (nothing was done: try again).\n");
}

enum { OPT_MAX_SIZE = 256, OPT_JSON, OPT_PLAIN, OPT_SEALED, OPT_FOLDER };

typedef struct kstate {
	int json, quiet, progress, code;
	int midline;       /* a progress line is on the terminal, with no end of line yet */
	const char *label; /* what the progress line is about */
	size_t items;      /* items read from the bundle being imported */
	char bundle[4096]; /* the bundle being read, as shown */
	json_t *bundles, *mirrors, *refusals, *damage;
} kstate;

/* The worst outcome decides: a failure over a refusal over success. */
static void worse(kstate *s, int code)
{
	if (code != EXIT_OK && (s->code == EXIT_OK || s->code == EXIT_REFUSED))
		s->code = code;
}

/* End the progress line, so that a message starts a line of its own. */
static void end_progress(kstate *s)
{
	if (s->midline)
		fputc('\n', stderr);
	s->midline = 0;
}

static int on_item(const svd_verdict *v, void *payload)
{
	kstate *s = payload;
	const char *id = svd_verdict_id(v);
	size_t i;

	s->items++;
	if (svd_verdict_dropped_count(v) || svd_verdict_problem_count(v))
		end_progress(s);
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file, *msg;
		svd_verdict_dropped(v, i, &file, &msg);
		fprintf(stderr, "samvydav: %s: %s: left out %s: %s: %s\n", s->bundle,
		        id ? cli_shown(id) : "-", cli_shown(file), svd_verdict_dropped_check(v, i),
		        cli_shown_msg(msg));
	}
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		fprintf(stderr, "samvydav: refused %s: %s: %s: %s: %s\n", s->bundle,
		        id ? cli_shown(id) : "-", cli_shown(file), check, cli_shown_msg(msg));
		if (s->json)
			json_array_append_new(
			    s->refusals, json_pack("{s:o,s:o,s:s,s:o}", "id", cli_json_text(id),
			                           "file", cli_json_text(file), "check", check,
			                           "message", cli_json_text(msg)));
	}
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	kstate *s = payload;
	char at[4200];

	end_progress(s);
	snprintf(at, sizeof(at), "samvydav: %s: ", s->bundle);
	cli_damage(NULL, stderr, at, offset, length, what);
	if (s->json)
		cli_damage(s->damage, NULL, "", offset, length, what);
}

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	kstate *s = payload;

	if (s->progress) {
		/* an import tells bytes only; its items are counted here */
		cli_progress(s->label, strcmp(s->label, "Importing") ? (size_t)items : s->items,
		             bytes, 0);
		s->midline = 1;
	}
}

/* The JSON entry of the mirror named, made on first use. */
static json_t *mirror_json(kstate *s, const char *name)
{
	size_t i;
	json_t *m;

	json_array_foreach(s->mirrors, i, m)
	{
		if (!strcmp(json_string_value(json_object_get(m, "mirror")), name))
			return m;
	}
	m = json_pack("{s:s,s:[],s:[]}", "mirror", name, "files", "messages");
	json_array_append_new(s->mirrors, m);
	return m;
}

/* A bundle's JSON entry, with the refusals and damage gathered while it was read. */
static void bundle_json(kstate *s, const char *file, const char *outcome, json_t *more)
{
	json_t *b = json_pack("{s:s,s:s,s:o,s:o}", "file", file, "outcome", outcome, "refusals",
	                      json_copy(s->refusals), "damage", json_copy(s->damage));

	if (more)
		json_object_update(b, more);
	json_decref(more);
	json_array_append_new(s->bundles, b);
	json_array_clear(s->refusals);
	json_array_clear(s->damage);
}

static int on_step(const svd_stick_event *ev, void *payload)
{
	kstate *s = payload;
	const char *file = ev->file ? ev->file->shown : "";

	if (ev->step == SVD_STICK_BUNDLE_IMPORTED && s->midline) {
		/* the bundle's last figures, and the end of the line */
		cli_progress(s->label, s->items, ev->stats->bytes, 1);
		s->midline = 0;
	}
	end_progress(s);
	switch (ev->step) {
	case SVD_STICK_BUNDLE_BEGIN:
		snprintf(s->bundle, sizeof(s->bundle), "%s", file);
		s->label = "Importing";
		s->items = 0;
		break;
	case SVD_STICK_BUNDLE_SKIPPED:
		if (s->json)
			bundle_json(s, file, "skipped", NULL);
		break;
	case SVD_STICK_BUNDLE_IMPORTED: {
		const svd_bundle_stats *st = ev->stats;
		const svd_txn_stats *ts = ev->txn;
		if (strcmp(ev->outcome, "imported"))
			worse(s, EXIT_REFUSED);
		if (s->json)
			bundle_json(
			    s, file, ev->outcome,
			    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "commit", ev->commit,
			              "mirror", st->mirror, "declared", (json_int_t)st->declared,
			              "read", (json_int_t)st->items, "added", (json_int_t)ts->added,
			              "cosigned", (json_int_t)ts->cosigned, "unchanged",
			              (json_int_t)ts->unchanged, "refused", (json_int_t)st->refused,
			              "lost", (json_int_t)st->lost));
		else if (!s->quiet)
			fprintf(stderr,
			        "%s: %zu items: %zu added, %zu co-signed, %zu already here, %zu "
			        "refused, %zu lost to damage%s%s\n",
			        file, st->declared ? st->declared : st->items, ts->added,
			        ts->cosigned, ts->unchanged, st->refused, st->lost,
			        *ev->commit ? "; commit " : "", ev->commit);
		break;
	}
	case SVD_STICK_BUNDLE_FAILED:
		worse(s, EXIT_FAIL);
		cli_error("%s", ev->message);
		if (s->json)
			bundle_json(s, file, "failed", json_pack("{s:s}", "message", ev->message));
		break;
	case SVD_STICK_HAVE_REFUSED:
		worse(s, EXIT_REFUSED);
		cli_error("%s", ev->message);
		if (s->json) {
			json_t *m = mirror_json(s, ev->mirror);
			json_object_set_new(m, "refused", json_true());
			json_array_append_new(json_object_get(m, "messages"),
			                      json_string(ev->message));
		}
		break;
	case SVD_STICK_MIRROR_FAILED:
		worse(s, EXIT_FAIL);
		/* fall through */
	case SVD_STICK_WARNING:
	case SVD_STICK_PARTS_LEFT:
		cli_error("%s", ev->message);
		if (s->json && ev->mirror)
			json_array_append_new(
			    json_object_get(mirror_json(s, ev->mirror), "messages"),
			    json_string(ev->message));
		break;
	case SVD_STICK_MIRROR_LACKS_NOTHING:
		if (s->json)
			mirror_json(s, ev->mirror);
		else if (!s->quiet)
			fprintf(stderr,
			        "mirror %s lacks nothing the stick does not carry; nothing "
			        "written for it\n",
			        ev->mirror);
		break;
	case SVD_STICK_WRITTEN:
		if (s->json)
			json_array_append_new(json_object_get(mirror_json(s, ev->mirror), "files"),
			                      json_string(file));
		else if (!s->quiet)
			printf("%s\n", file);
		break;
	case SVD_STICK_HAVE_WRITTEN:
		break;
	case SVD_STICK_PARTIAL_REMOVED:
		if (!s->quiet && !s->json)
			fprintf(stderr, "%s: the leftover of an interrupted write: removed\n",
			        file);
		break;
	}
	if (ev->step == SVD_STICK_BUNDLE_IMPORTED || ev->step == SVD_STICK_BUNDLE_SKIPPED ||
	    ev->step == SVD_STICK_BUNDLE_FAILED)
		s->label = "Writing";
	fflush(stdout);
	return 0;
}

/*
 * PATH is the stick, the folder that holds samvydav/; PATH/samvydav
 * itself, given by mistake (it holds have/ or bundles/ and no samvydav/),
 * is taken for its stick.
 */
static const char *stick_of(const char *path, char *buf, size_t size)
{
	char probe[4200];
	struct stat st;
	size_t len = strlen(path), base;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (base = len; base > 0 && path[base - 1] != '/'; base--)
		;
	if (len - base != 8 || strncmp(path + base, "samvydav", 8))
		return path;
	snprintf(probe, sizeof(probe), "%s/samvydav", path);
	if (stat(probe, &st) == 0)
		return path;
	snprintf(probe, sizeof(probe), "%.*s/have", (int)len, path);
	if (stat(probe, &st) < 0) {
		snprintf(probe, sizeof(probe), "%.*s/bundles", (int)len, path);
		if (stat(probe, &st) < 0)
			return path;
	}
	if (base == 0)
		return ".";
	snprintf(buf, size, "%.*s", base > 1 ? (int)(base - 1) : 1, path);
	return buf;
}

int cmd_stick(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"max-size", required_argument, NULL, OPT_MAX_SIZE},
	                                     {"threads", required_argument, NULL, 'j'},
	                                     {"json", no_argument, NULL, OPT_JSON},
	                                     {"plain", no_argument, NULL, OPT_PLAIN},
	                                     {"sealed", no_argument, NULL, OPT_SEALED},
	                                     {"folder", required_argument, NULL, OPT_FOLDER},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	svd_stick_opts so = {0};
	svd_stick_result res = {0};
	svd_archive *a = NULL;
	kstate s = {0};
	char buf[4200];
	const char *stick;
	size_t i, mirrors = 0;
	int c, error, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_MAX_SIZE:
			if (!(so.max_size = cli_size(optarg)))
				return cli_usage(
				    "stick",
				    "--max-size %s: give a size in bytes, with K, M or G "
				    "if you like (3900M)",
				    optarg);
			break;
		case 'j':
			if ((code = cli_threads("stick", optarg, 16, &so.threads)) != 0)
				return code;
			break;
		case OPT_JSON:
			s.json = 1;
			break;
		case OPT_PLAIN:
		case OPT_SEALED:
			if (so.layout &&
			    so.layout != (c == OPT_PLAIN ? SVD_STICK_PLAIN : SVD_STICK_SEALED))
				return cli_usage("stick", "--plain or --sealed: one of them");
			so.layout = c == OPT_PLAIN ? SVD_STICK_PLAIN : SVD_STICK_SEALED;
			break;
		case OPT_FOLDER:
			so.folder = strcmp(optarg, "/") ? optarg : "";
			if (!svd_network_stick_folder_valid(so.folder))
				return cli_usage(
				    "stick",
				    "--folder: not a folder a stick can hold: a relative "
				    "path (or '/' for the root), no '.' or '..' part, none "
				    "of \\ : * ? \" < > |");
			break;
		case 'q':
			s.quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("stick", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("stick", "say where the stick is: samvydav stick PATH");
	if (optind + 1 < argc)
		return cli_usage("stick", "unexpected argument %s", argv[optind + 1]);
	if (so.folder && so.layout == SVD_STICK_PLAIN)
		return cli_usage("stick", "--folder is the sealed layout's; --plain has none");
	stick = stick_of(argv[optind], buf, sizeof(buf));
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	s.progress = cli_progress_wanted(s.quiet) && !s.json;
	s.label = "Writing"; /* until a bundle is read */
	s.bundles = json_array();
	s.mirrors = json_array();
	s.refusals = json_array();
	s.damage = json_array();
	so.step = on_step;
	so.item = on_item;
	so.damage = on_damage;
	so.progress = on_progress;
	so.payload = &s;
	error = svd_stick_sync(a, stick, &so, &res);
	end_progress(&s);
	if (error < 0) /* what stopped the sync decides the code */
		s.code = cli_fail(error);
	for (i = 0; i < res.nmirrors; i++)
		mirrors += res.mirrors[i].files > 0;
	if (s.json) {
		json_t *out, *m;
		for (i = 0; i < res.nmirrors; i++) {
			const svd_stick_mirror *r = &res.mirrors[i];
			m = mirror_json(&s, r->name);
			json_object_set_new(m, "items", json_integer((json_int_t)r->items));
			json_object_set_new(m, "updates", json_integer((json_int_t)r->updates));
			json_object_set_new(m, "bytes", json_integer((json_int_t)r->bytes));
			json_object_set_new(m, "left", json_integer((json_int_t)r->left));
			json_object_set_new(m, "refused", json_boolean(r->refused));
			json_object_set_new(m, "failed", json_boolean(r->failed));
		}
		out = json_pack(
		    "{s:s,s:s,s:b,s:s?,s:O,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "stick",
		    stick, "mirror", svd_archive_mirror_id(a), "safe", res.safe, "have", res.have,
		    "bundles", s.bundles, "mirrors", s.mirrors, "read", (json_int_t)res.bundles,
		    "imported", (json_int_t)res.imported, "skipped", (json_int_t)res.skipped,
		    "failed", (json_int_t)res.failed, "added", (json_int_t)res.added, "cosigned",
		    (json_int_t)res.cosigned, "carried", (json_int_t)res.carried, "written",
		    (json_int_t)res.files, "left", (json_int_t)res.left);
		if (out) {
			json_object_set_new(out, "layout",
			                    json_string(res.sealed ? "sealed" : "plain"));
			if (res.folder)
				json_object_set_new(out, "folder", json_string(res.folder));
			json_object_set_new(out, "partials",
			                    json_integer((json_int_t)res.partials));
			json_object_set_new(out, "foreign", json_integer((json_int_t)res.foreign));
			json_object_set_new(out, "unlooked",
			                    json_integer((json_int_t)res.unlooked));
		}
		if (out && error < 0)
			json_object_set_new(out, "error", json_string(svd_error_last()));
		worse(&s, cli_print_json(out));
	} else if (!s.quiet && res.safe) {
		fprintf(stderr,
		        "Stick %s: %zu bundle%s read (%zu items added), %zu file%s written for %zu "
		        "mirror%s%s; have-file %s written. You may remove the stick now.\n",
		        stick, res.imported + res.skipped,
		        res.imported + res.skipped == 1 ? "" : "s", res.added, res.files,
		        res.files == 1 ? "" : "s", mirrors, mirrors == 1 ? "" : "s",
		        res.left ? " (some parts left for the next trip)" : "", res.have);
	}
	if (!res.safe && error == 0)
		s.code = EXIT_FAIL;
	code = s.code;
	json_decref(s.bundles);
	json_decref(s.mirrors);
	json_decref(s.refusals);
	json_decref(s.damage);
	svd_stick_result_clear(&res);
	svd_archive_free(a);
	return code;
}
