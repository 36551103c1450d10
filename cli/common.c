/*
 * common.c: what the commands share — errors, exit codes, the archive,
 * passphrases, progress and JSON output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"

/*
 * msg on stderr after "samvydav: ", each of its lines escaped (SPEC.md, 13)
 * but for backslashes: the names from outside in it were escaped where it
 * was made, and this catches what was not, without escaping anything twice.
 */
static void print_message(const char *msg)
{
	const char *line = msg, *end;

	fputs("samvydav: ", stderr);
	for (;;) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		fputs(cli_shown_as(line, (size_t)(end - line), SVD_TEXT_KEEP_BACKSLASH), stderr);
		if (!*end)
			break;
		fputc('\n', stderr);
		line = end + 1;
	}
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message(msg);
}

const char *cli_shown_as(const char *s, size_t n, unsigned flags)
{
	static struct {
		char *p;
		size_t cap;
	} ring[CLI_SHOWN_RING];
	static unsigned next;
	char *p;

	if (!s)
		return "(none)";
	/* text that needs no escape as it is (most of a long listing's text) */
	if (s[n] == '\0' && svd_text_plain(s, n, flags))
		return s;
	next = (next + 1) % CLI_SHOWN_RING;
	/* one pass: an escape is at most four bytes a byte ("\xNN") */
	if (n > (SIZE_MAX - 1) / 4)
		return "(out of memory)";
	if (4 * n + 1 > ring[next].cap) {
		if (!(p = realloc(ring[next].p, 4 * n + 1)))
			return "(out of memory)";
		ring[next].p = p;
		ring[next].cap = 4 * n + 1;
	}
	svd_text_escape(ring[next].p, ring[next].cap, s, n, flags);
	return ring[next].p;
}

const char *cli_shown(const char *s)
{
	return cli_shown_as(s, s ? strlen(s) : 0, 0);
}

const char *cli_shown_msg(const char *s)
{
	return cli_shown_as(s, s ? strlen(s) : 0, SVD_TEXT_KEEP_BACKSLASH);
}

void *cli_json_text(const char *s)
{
	json_t *j;

	if (!s)
		return json_null();
	/* jansson takes only valid UTF-8: other bytes as the terminal shows them */
	if ((j = json_string(s)) != NULL)
		return j;
	return json_string(cli_shown(s));
}

int cli_exit_code(int code)
{
	switch (code) {
	case 0:
		return EXIT_OK;
	case SVD_ENOTFOUND:
		return EXIT_NOTFOUND;
	case SVD_EBADSIG:
	case SVD_EUNTRUSTED:
	case SVD_ECORRUPT:
	case SVD_ETOOBIG:
		return EXIT_REFUSED;
	case SVD_EINVALID:
		return EXIT_USAGE;
	case SVD_ELOCKED:
		return EXIT_LOCKED;
	default:
		return EXIT_FAIL;
	}
}

const char *cli_bundle_listing(const svd_bundle_stats *st)
{
	return st->listing < 0 ? "unreadable"
	       : !st->listing  ? "missing"
	       : st->unlisted  ? "incomplete"
	                       : "sound";
}

void cli_bundle_listing_warn(const char *bundle, const svd_bundle_stats *st)
{
	/* an unreadable one is reported as damage already */
	if (st->listing == 0 && !st->damaged && st->items)
		cli_error("%s: warning: the bundle has no BUNDLE.json, its list of items; every "
		          "item in it was read and checked all the same",
		          bundle);
	else if (st->listing > 0 && st->unlisted)
		cli_error("%s: warning: %zu item%s in the bundle %s not listed in its BUNDLE.json; "
		          "they were read and checked all the same",
		          bundle, st->unlisted, st->unlisted == 1 ? "" : "s",
		          st->unlisted == 1 ? "is" : "are");
}

int cli_fail(int code)
{
	const char *msg = svd_error_last();

	print_message(*msg ? msg : "failed");
	return cli_exit_code(code);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("samvydav: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'samvydav %s%s--help'\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int cli_threads(const char *cmd, const char *arg, unsigned max, unsigned *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (end == arg || *end || n < 1 || n > (long)max)
		return cli_usage(cmd, "--threads %s: give 1 to %u", arg, max);
	*out = (unsigned)n;
	return 0;
}

unsigned long long cli_size(const char *s)
{
	unsigned long long v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "K") || !strcmp(end, "k"))
		mult = 1024ull;
	else if (!strcmp(end, "M") || !strcmp(end, "m"))
		mult = 1024ull * 1024;
	else if (!strcmp(end, "G") || !strcmp(end, "g"))
		mult = 1024ull * 1024 * 1024;
	else if (*end)
		return 0;
	if (v > ~0ull / mult)
		return 0;
	return v * mult;
}

int cli_trust_file(svd_trust *trust, const char *path)
{
	svd_pubkey *pk = NULL;
	int error;

	if ((error = svd_pubkey_read(&pk, path)) < 0 || (error = svd_trust_insert(trust, pk)) < 0) {
		svd_pubkey_free(pk);
		return cli_fail(error);
	}
	svd_pubkey_free(pk);
	return 0;
}

int cli_is_archive(const char *dir)
{
	return svd_archive_is(dir);
}

void cli_damage(void *list, FILE *out, const char *lead, uint64_t offset, uint64_t length,
                const char *what)
{
	if (list)
		json_array_append_new(list, json_pack("{s:I,s:I,s:o}", "offset", (json_int_t)offset,
		                                      "length", (json_int_t)length, "what",
		                                      cli_json_text(what)));
	else
		fprintf(out, "%sdamaged at byte %llu (%llu bytes): %s\n", lead,
		        (unsigned long long)offset, (unsigned long long)length,
		        cli_shown_msg(what));
}

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int cli_open_archive(svd_archive **out, const cli_ctx *ctx)
{
	int error = svd_archive_open(out, ctx->archive_dir);

	if (error < 0)
		return cli_fail(error);
	return 0;
}

static int read_line_fd(char *buf, size_t size, FILE *f)
{
	size_t len;

	if (!fgets(buf, (int)size, f))
		return -1;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == size - 1)
		return -2; /* too long: refuse rather than cut a passphrase */
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

/* Read one line from the terminal with echo off. */
static int ask_tty(char *buf, size_t size, const char *prompt)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	int r;

	if (!tty)
		return -1;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) < 0) {
		fclose(tty);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	r = read_line_fd(buf, size, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	return r;
}

int cli_passphrase(char *buf, size_t size, const char *prompt, int confirm)
{
	int r;

	if (isatty(STDIN_FILENO)) {
		char *again;
		if (ask_tty(buf, size, prompt) < 0)
			return svd_error_set(SVD_ERROR,
			                     "cannot read a passphrase from the terminal");
		if (!confirm)
			return 0;
		if (!(again = sodium_malloc(size)))
			return svd_error_set(SVD_ERROR, "out of memory");
		r = ask_tty(again, size, "Passphrase again: ");
		if (r == 0 && strcmp(buf, again))
			r = -3;
		sodium_free(again);
		if (r == -3)
			return svd_error_set(SVD_EINVALID, "the two passphrases differ");
		return r < 0 ? svd_error_set(SVD_ERROR, "cannot read a passphrase") : 0;
	}
	/* not a terminal: scripts give the passphrase as the first line of stdin */
	r = read_line_fd(buf, size, stdin);
	if (r == -2)
		return svd_error_set(SVD_EINVALID, "the passphrase is longer than %zu bytes",
		                     size - 2);
	if (r < 0)
		return svd_error_set(SVD_EINVALID,
		                     "a passphrase is needed: type it on a terminal, or give it "
		                     "as the first line of standard input");
	return 0;
}

static int ask_existing(char *buf, size_t size, void *payload)
{
	return cli_passphrase(buf, size, (const char *)payload, 0);
}

int cli_read_seckey(svd_seckey **out, const char *path)
{
	char prompt[512];
	int error;

	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	error = svd_seckey_read(out, path, ask_existing, prompt);
	if (error < 0)
		return cli_fail(error);
	return 0;
}

int cli_progress_wanted(int quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress(const char *label, size_t items, unsigned long long bytes, int final)
{
	static double start, last;
	double t = now_seconds();

	if (start == 0)
		start = t;
	if (!final && t - last < 0.2)
		return;
	last = t;
	fprintf(stderr, "\r%s: %zu items, %.1f MiB, %.0f items/s%s", label, items,
	        (double)bytes / (1024.0 * 1024.0), t > start ? (double)items / (t - start) : 0.0,
	        final ? "\n" : "   ");
	fflush(stderr);
}

int cli_json_write(void *value)
{
	json_t *json = value;
	char *text, *safe = NULL;
	int r = -1;

	if (!json) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	/* bidirectional and C1 controls as \uNNNN too (SPEC.md, 13) */
	text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	if (text && (safe = svd_text_json(text)) != NULL)
		r = fputs(safe, stdout) < 0 ? -1 : 0;
	free(text);
	free(safe);
	if (r < 0) {
		cli_error("cannot write JSON output");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cli_print_json(void *value)
{
	int code = cli_json_write(value);

	fputc('\n', stdout);
	return code;
}

void cli_view_json(void *obj, const svd_view_item *it, const svd_view_item *r)
{
	json_t *o = obj;

	json_object_set_new(o, "state", json_string(svd_view_state_name(it->state)));
	if (it->superseded_by)
		json_object_set_new(o, "superseded_by", json_string(it->superseded_by));
	if (it->why)
		json_object_set_new(o, "why", json_string(it->why));
	if (it->note)
		json_object_set_new(o, "note", json_string(it->note));
	if (it->retracted_by && r) {
		json_t *signers = json_array();
		const char *s = r->signers;
		while (*s) {
			size_t n = strcspn(s, " ");
			json_array_append_new(signers, json_stringn(s, n));
			s += n;
			s += strspn(s, " ");
		}
		json_object_set_new(o, "withdrawn",
		                    json_pack("{s:s,s:s,s:o}", "retraction", r->id, "created",
		                              r->created, "signers", signers));
	}
}

void cli_view_why(char *out, size_t size, const svd_view_item *it, const svd_view_item *r)
{
	if (it->state == SVD_VIEW_RETRACTED && r)
		snprintf(out, size, "withdrawn by retraction %.12s (created %s, signed by %s)",
		         r->id, r->created[0] ? r->created : "?", r->signers[0] ? r->signers : "?");
	else if (it->state == SVD_VIEW_REFUSED || it->state == SVD_VIEW_REVOKED)
		snprintf(out, size, "%s: %s", svd_view_state_name(it->state),
		         it->why ? it->why : "it does not pass the gate");
	else if (it->state == SVD_VIEW_PENDING)
		snprintf(out, size, "%s", it->why ? it->why : "pending");
	else if (it->state == SVD_VIEW_STATEMENT)
		snprintf(out, size, "statement, %s", it->note ? it->note : "in effect");
	else
		snprintf(out, size, "%s", it->note ? it->note : "");
}

const svd_view_item *cli_view_retraction(svd_view_item *out, const svd_view *v,
                                         const svd_view_item *it)
{
	return it->retracted_by ? svd_view_find(out, v, it->retracted_by) : NULL;
}

svd_view *cli_view_open(svd_archive *a, int *code)
{
	svd_view *v = NULL;
	int error = svd_view_open(&v, a, NULL, NULL);

	*code = error < 0 ? cli_fail(error) : 0;
	return error < 0 ? NULL : v;
}

/* From the list to the view: the list could not be read (said, unless quiet). */
static int items_to_view(cli_items *c, int said)
{
	int code;

	if (said)
		cli_error("%s; building the view instead", cli_shown_msg(svd_error_last()));
	svd_error_clear();
	svd_view_list_free(c->list);
	c->list = NULL;
	if (!(c->view = cli_view_open(c->a, &code)))
		return code > 0 ? -code : -EXIT_FAIL;
	return 0;
}

int cli_items_open(cli_items *c, svd_archive *a)
{
	int error, code;

	memset(c, 0, sizeof(*c));
	c->a = a;
	if ((error = svd_view_list_open(&c->list, a)) == 0)
		return EXIT_OK;
	/* none yet, or of an older commit: the view, which writes it */
	code = items_to_view(c, error == SVD_ECORRUPT);
	return code < 0 ? -code : EXIT_OK;
}

int cli_items_next(cli_items *c, const svd_view_item **it, const svd_view_item **r)
{
	int got;

	*it = *r = NULL;
	if (c->list) {
		if ((got = svd_view_list_next(c->list, it)) >= 0) {
			c->at += got;
			*r = got ? svd_view_list_retraction(c->list) : NULL;
			return got;
		}
		if ((got = items_to_view(c, 1)) < 0)
			return got;
	}
	if (!(*it = svd_view_at(&c->item, c->view, c->at)))
		return 0;
	c->at++;
	*r = cli_view_retraction(&c->ret, c->view, *it);
	return 1;
}

int cli_items_find(cli_items *c, const char *id, const svd_view_item **it, const svd_view_item **r)
{
	int got;

	*it = *r = NULL;
	if (c->list) {
		if ((got = svd_view_list_find(c->list, id, it)) >= 0) {
			*r = got ? svd_view_list_retraction(c->list) : NULL;
			return got;
		}
		if ((got = items_to_view(c, 1)) < 0)
			return got;
	}
	if (!(*it = svd_view_find(&c->item, c->view, id)))
		return 0;
	*r = cli_view_retraction(&c->ret, c->view, *it);
	return 1;
}

const char *cli_items_trust_date(const cli_items *c)
{
	return c->list ? svd_view_list_trust_date(c->list) : svd_view_trust_date(c->view);
}

void cli_items_free(cli_items *c)
{
	svd_view_list_free(c->list);
	svd_view_free(c->view);
	memset(c, 0, sizeof(*c));
}

void cli_print_refusal(const svd_verdict *v)
{
	const char *id = svd_verdict_id(v), *src = svd_verdict_source(v);
	size_t i;

	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		fprintf(stderr, "samvydav: refused %s%s%s: %s%s%s: %s\n", src ? cli_shown(src) : "",
		        src && id ? ": " : "", id ? cli_shown(id) : "", cli_shown(file),
		        *file ? ": " : "", check, cli_shown_msg(msg));
	}
}

int cli_statement_option(cli_statement_opts *o, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_KEY:
		o->key = arg;
		return 1;
	case CLI_OPT_TITLE:
		o->title = arg;
		return 1;
	case CLI_OPT_LANG:
		o->lang = arg;
		return 1;
	case CLI_OPT_CREATED:
		o->created = arg;
		return 1;
	case 'm':
		o->message = arg;
		return 1;
	case CLI_OPT_JSON:
		o->json = 1;
		return 1;
	}
	return 0;
}

int cli_statement_fields(svd_manifest *m, const char *cmd, svd_kind kind, const char *title,
                         const char *lang, const char *created)
{
	if (svd_manifest_set_kind(m, kind) < 0 || svd_manifest_set(m, "title", title) < 0 ||
	    svd_manifest_set(m, "lang", lang) < 0 ||
	    (created && svd_manifest_set(m, "created", created) < 0))
		return cli_usage(cmd, "%s", svd_error_last());
	return 0;
}

int cli_add_statements(svd_archive *a, svd_manifest *const *ms, size_t n, const svd_seckey *sk,
                       const char *message, char *commit)
{
	svd_txn *txn = NULL;
	svd_verdict *v = NULL;
	size_t i;
	int error, code = EXIT_OK;

	if ((error = svd_txn_begin(&txn, a)) < 0)
		return cli_fail(error);
	for (i = 0; i < n; i++) {
		error = svd_txn_add_new(txn, ms[i], NULL, 0, sk, &v);
		if (v && !svd_verdict_ok(v))
			cli_print_refusal(v);
		svd_verdict_free(v);
		v = NULL;
		if (error == SVD_ECORRUPT) {
			code = EXIT_REFUSED;
			continue;
		}
		if (error < 0) {
			code = cli_fail(error);
			goto cleanup;
		}
	}
	if (code != EXIT_OK) {
		cli_error("nothing was added");
		goto cleanup;
	}
	if ((error = svd_txn_commit(txn, message, commit)) < 0)
		code = cli_fail(error);
cleanup:
	svd_txn_free(txn);
	return code;
}
