/*
 * cmd_sign.c: samvydav sign — co-sign items already in the archive, many
 * in one commit (ids given, read from a file, or every item signed by a
 * key); their ids do not change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define SIGN_LINE_MAX 256     /* bytes of a line of --from, LF included */
#define SIGN_MAX_IDS  4000000 /* ids in one operation */

static void help(FILE *out)
{
	fprintf(
	    out,
	    "usage: samvydav sign [ID...] [--from FILE] [--by KEYID] --key SECRET.key\n"
	    "                     [-m TEXT] [--json]\n"
	    "       samvydav sign ID --signature FILE.minisig [--public KEY.pub]\n"
	    "\n"
	    "Add a signature to items already in the archive, all in one commit. An\n"
	    "item's id does not change: signatures sit beside the manifest, in\n"
	    "sig/KEYID.minisig.\n"
	    "\n"
	    "  --key FILE        sign with this secret key (asks for its passphrase)\n"
	    "  --from FILE       also the ids in FILE, one a line ('-': standard input,\n"
	    "                    after the passphrase); blank lines and # comments skipped\n"
	    "  --by KEYID        also every item with a valid signature by KEYID (a key\n"
	    "                    trusted here) that --key has not signed yet\n"
	    "  --signature FILE  attach a signature made elsewhere, e.g. by stock\n"
	    "                    'minisign -S -m manifest.json' on the item's manifest\n"
	    "                    (one ID)\n"
	    "  --public FILE     the signer's public key, when that key is not trusted\n"
	    "                    here (the signature is checked with it and stored, but\n"
	    "                    counts only where the key is trusted)\n"
	    "  -m, --message TEXT  the commit message\n"
	    "  --json            print {\"commit\", \"key\", \"signed\", \"already\", \"failed\"}\n"
	    "\n"
	    "ID may be shortened to its first digits when that is unambiguous. An item\n"
	    "signed by the key already is reported and left as it is. An item that\n"
	    "cannot be signed is reported and the others are still signed; the exit\n"
	    "code is then that of the first one: 3 (does not verify, or cannot be\n"
	    "checked) or 4 (no such item).\n");
}

/* The items to sign: full ids, in the order given, each once. */
typedef struct idlist {
	char (*v)[SVD_ID_HEX_LEN + 1];
	size_t n, cap;
} idlist;

static int idlist_add(idlist *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], id))
			return 0;
	if (l->n == SIGN_MAX_IDS) {
		cli_error("over %d items in one sign", SIGN_MAX_IDS);
		return EXIT_USAGE;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *p = realloc(l->v, cap * sizeof(*l->v));
		if (!p) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		l->v = p;
		l->cap = cap;
	}
	memcpy(l->v[l->n++], id, SVD_ID_HEX_LEN + 1);
	return 0;
}

/* What one sign did, for the summary and --json. */
typedef struct outcome {
	json_t *signed_ids, *already, *failed;
	int code; /* the first failure's exit code, or EXIT_OK */
} outcome;

/* An id that cannot be signed: reported, and the first one's code kept. */
static void fail_one(outcome *o, const char *id, int error, int json)
{
	const char *msg = svd_error_last();

	if (!json)
		cli_error("%s: %s", id, msg);
	json_array_append_new(o->failed, json_pack("{s:s,s:s}", "id", id, "message", msg));
	if (o->code == EXIT_OK)
		o->code = cli_exit_code(error);
}

/* An id as given (perhaps shortened) resolved and added; one not found is a failure. */
static int add_given(idlist *l, svd_archive *a, const char *given, outcome *o, int json)
{
	char id[SVD_ID_HEX_LEN + 1];
	int error;

	if ((error = svd_store_resolve(id, a, given)) < 0) {
		if (error != SVD_ENOTFOUND && error != SVD_EINVALID)
			return cli_fail(error);
		fail_one(o, given, error, json);
		return 0;
	}
	return idlist_add(l, id);
}

/* The ids of --from, one a line. */
static int add_from(idlist *l, svd_archive *a, const char *path, outcome *o, int json)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[SIGN_LINE_MAX + 1];
	size_t lineno = 0;
	int code = 0;

	if (!f) {
		cli_error("%s: cannot open: %s", path, strerror(errno));
		return EXIT_NOTFOUND;
	}
	while (code == 0 && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			cli_error("%s: line %zu: too long for an item id", path, lineno);
			code = EXIT_USAGE;
			break;
		}
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		code = add_given(l, a, line, o, json);
	}
	if (code == 0 && ferror(f)) {
		cli_error("%s: cannot read: %s", path, strerror(errno));
		code = EXIT_FAIL;
	}
	if (f != stdin)
		fclose(f);
	return code;
}

/* Is keyid among a view item's signers (space-separated key ids)? */
static int signed_by(const char *signers, const char *keyid)
{
	size_t len = strlen(keyid);
	const char *p = signers;

	while ((p = strstr(p, keyid)) != NULL) {
		if ((p == signers || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* --by KEYID: every item of main whose signature by KEYID is valid here. */
static int add_by(idlist *l, svd_archive *a, const char *keyid)
{
	svd_view *v = NULL;
	size_t i;
	int error, code = 0;

	if ((error = svd_view_open(&v, a, NULL, NULL)) < 0)
		return cli_fail(error);
	for (i = 0; i < svd_view_size(v) && code == 0; i++) {
		svd_view_item buf;
		const svd_view_item *it = svd_view_at(&buf, v, i);
		if (it->signers && signed_by(it->signers, keyid))
			code = idlist_add(l, it->id);
	}
	svd_view_free(v);
	return code;
}

int cmd_sign(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {"signature", required_argument, NULL, 's'},
	                                     {"public", required_argument, NULL, 'p'},
	                                     {"message", required_argument, NULL, 'm'},
	                                     {"from", required_argument, NULL, 'f'},
	                                     {"by", required_argument, NULL, 'b'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *key = NULL, *sigfile = NULL, *pubfile = NULL, *message = NULL;
	const char *from = NULL, *by = NULL, *keyid;
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	idlist ids = {0};
	outcome o = {0};
	svd_archive *a = NULL;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = NULL;
	svd_txn *txn = NULL;
	size_t i, nasked;
	int c, error, json = 0, code = EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 's':
			sigfile = optarg;
			break;
		case 'p':
			pubfile = optarg;
			break;
		case 'm':
			message = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("sign", "unknown option");
		}
	}
	if (optind == argc && !from && !by)
		return cli_usage("sign", "name the items: ids, --from FILE or --by KEYID");
	if (!key == !sigfile)
		return cli_usage("sign", "give --key or --signature (one of them)");
	if (sigfile && (from || by || optind + 1 != argc))
		return cli_usage("sign", "--signature signs one item: give one id");
	if (by && !svd_keyid_valid(by))
		return cli_usage("sign",
		                 "--by %s: not a key id (16 hex digits, as minisign prints)", by);
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	o.signed_ids = json_array();
	o.already = json_array();
	o.failed = json_array();
	/* the key first: its passphrase may be the first line of standard input */
	if (key && (code = cli_read_seckey(&sk, key)) != 0)
		goto cleanup;
	code = EXIT_OK;
	for (i = (size_t)optind; i < (size_t)argc && code == 0; i++)
		code = add_given(&ids, a, argv[i], &o, json);
	if (code == 0 && from)
		code = add_from(&ids, a, from, &o, json);
	nasked = ids.n; /* what --by adds and is signed already is no news */
	if (code == 0 && by)
		code = add_by(&ids, a, by);
	if (code != 0)
		goto cleanup;
	code = EXIT_FAIL;
	if (sigfile) {
		FILE *f = fopen(sigfile, "rb");
		char buf[SVD_SIGFILE_MAX + 1];
		size_t len;
		if (!f) {
			cli_error("%s: cannot open", sigfile);
			code = EXIT_NOTFOUND;
			goto cleanup;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if ((error = svd_sig_parse(&sig, buf, len)) < 0) {
			cli_error("%s: %s", sigfile, svd_error_last());
			code = cli_exit_code(error);
			goto cleanup;
		}
	}
	if (pubfile && (error = svd_pubkey_read(&pk, pubfile)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	keyid = sk ? svd_seckey_id(sk) : svd_sig_keyid(sig);
	if ((error = svd_txn_begin(&txn, a)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	for (i = 0; i < ids.n; i++) {
		error = svd_txn_sign(txn, ids.v[i], sk, sig, pk);
		if (error == 0) {
			json_array_append_new(o.signed_ids, json_string(ids.v[i]));
		} else if (error == SVD_EEXISTS) {
			if (!json && i < nasked)
				cli_error("%s", svd_error_last());
			json_array_append_new(o.already, json_string(ids.v[i]));
		} else if (error == SVD_ENOTFOUND || error == SVD_EBADSIG ||
		           error == SVD_EUNTRUSTED || error == SVD_ECORRUPT ||
		           error == SVD_EINVALID) {
			fail_one(&o, ids.v[i], error, json);
		} else {
			/* the archive itself: nothing is committed */
			code = cli_fail(error);
			goto cleanup;
		}
	}
	if ((error = svd_txn_commit(txn, message, commit)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	code = o.code;
	if (json) {
		int out = cli_print_json(json_pack("{s:s,s:s,s:O,s:O,s:O}", "commit", commit, "key",
		                                   keyid, "signed", o.signed_ids, "already",
		                                   o.already, "failed", o.failed));
		if (out != EXIT_OK)
			code = out;
		goto cleanup;
	}
	for (i = 0; i < json_array_size(o.signed_ids); i++)
		printf("Signed %s by key %s in commit %s\n",
		       json_string_value(json_array_get(o.signed_ids, i)), keyid, commit);
	if (ids.n + json_array_size(o.failed) > 1)
		fprintf(stderr, "%zu signed, %zu signed already, %zu could not be signed\n",
		        json_array_size(o.signed_ids), json_array_size(o.already),
		        json_array_size(o.failed));
cleanup:
	json_decref(o.signed_ids);
	json_decref(o.already);
	json_decref(o.failed);
	free(ids.v);
	svd_txn_free(txn);
	svd_sig_free(sig);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
	svd_archive_free(a);
	return code;
}
