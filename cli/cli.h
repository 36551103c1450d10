/*
 * cli.h: what the samvydav command's files share.
 */
#ifndef SVD_CLI_H
#define SVD_CLI_H

#include <stdio.h>

#include <samvydav/samvydav.h>

/* Exit codes (documented in samvydav(1) and --help). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,     /* could not do it: I/O, git, memory, a wrong passphrase */
	EXIT_USAGE = 2,    /* the command line or an argument is wrong */
	EXIT_REFUSED = 3,  /* something did not verify: refused items, failed checks */
	EXIT_NOTFOUND = 4, /* no such archive, item, key or file */
	EXIT_LOCKED = 5,   /* another process is writing to the archive */
};

/* What every command gets: the global options. */
typedef struct cli_ctx {
	const char *archive_dir; /* -C DIR, $SAMVYDAV_ARCHIVE, or "." */
	const char *prog;        /* "samvydav" */
} cli_ctx;

/* One entry per subcommand. */
typedef struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv, cli_ctx *ctx);
	const char *summary;
} cli_cmd;

int cmd_init(int argc, char **argv, cli_ctx *ctx);
int cmd_key(int argc, char **argv, cli_ctx *ctx);
int cmd_trust(int argc, char **argv, cli_ctx *ctx);
int cmd_network(int argc, char **argv, cli_ctx *ctx);
int cmd_add(int argc, char **argv, cli_ctx *ctx);
int cmd_sign(int argc, char **argv, cli_ctx *ctx);
int cmd_list(int argc, char **argv, cli_ctx *ctx);
int cmd_show(int argc, char **argv, cli_ctx *ctx);
int cmd_verify(int argc, char **argv, cli_ctx *ctx);
int cmd_log(int argc, char **argv, cli_ctx *ctx);
int cmd_export(int argc, char **argv, cli_ctx *ctx);
int cmd_have(int argc, char **argv, cli_ctx *ctx);
int cmd_import(int argc, char **argv, cli_ctx *ctx);
int cmd_inspect(int argc, char **argv, cli_ctx *ctx);
int cmd_sync(int argc, char **argv, cli_ctx *ctx);
int cmd_stick(int argc, char **argv, cli_ctx *ctx);
int cmd_unpack(int argc, char **argv, cli_ctx *ctx);
int cmd_certify(int argc, char **argv, cli_ctx *ctx);
int cmd_revoke(int argc, char **argv, cli_ctx *ctx);
int cmd_checkpoint(int argc, char **argv, cli_ctx *ctx);
int cmd_seal(int argc, char **argv, cli_ctx *ctx);
int cmd_unseal(int argc, char **argv, cli_ctx *ctx);

/* Print "samvydav: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Text from outside (a name in a bundle, a title, what a peer says) as the
 * terminal may show it: svd_text_escape() of s (SPEC.md, 13). The text is
 * one of CLI_SHOWN_RING buffers used in turn: good for one printf() of up
 * to that many. NULL shows as "(none)".
 */
#define CLI_SHOWN_RING 16
const char *cli_shown(const char *s);

/* The same of n bytes at s, with svd_text_flags. */
const char *cli_shown_as(const char *s, size_t n, unsigned flags);

/*
 * A message of the library (svd_error_last(), a verdict's problem): the
 * names in it were escaped where it was made, the rest is escaped here,
 * its backslashes aside (SVD_TEXT_KEEP_BACKSLASH), so nothing twice.
 */
const char *cli_shown_msg(const char *s);

/*
 * A string from outside for --json (a json_t *): as it is when it is
 * UTF-8 (cli_print_json() escapes the controls), else as cli_shown()
 * shows it. JSON null for NULL.
 */
void *cli_json_text(const char *s);

/* Print the library's last message and map its code to an exit code. */
int cli_fail(int code);

/* Map a library error code to an exit code. */
int cli_exit_code(int code);

/*
 * Warn (stderr) when a bundle's BUNDLE.json is missing or does not list
 * every item read (SPEC.md, 9.2: it is advisory, the exit code is not
 * changed); the --json field "bundle_json" says the same: "sound",
 * "missing", "unreadable" or "incomplete".
 */
void cli_bundle_listing_warn(const char *bundle, const svd_bundle_stats *st);
const char *cli_bundle_listing(const svd_bundle_stats *st);

/* A usage error: the message, then a pointer to --help. Returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open the archive that ctx names; prints the error itself. */
int cli_open_archive(svd_archive **out, const cli_ctx *ctx);

/* Read a secret key, asking for its passphrase when it needs one. */
int cli_read_seckey(svd_seckey **out, const char *path);

/*
 * Ask for a passphrase: on a terminal, without echo; otherwise the first
 * line of standard input. confirm asks twice (for new keys).
 */
int cli_passphrase(char *buf, size_t size, const char *prompt, int confirm);

/* Is stderr a terminal (and so, should progress be shown)? */
int cli_progress_wanted(int quiet);

/* Progress on one stderr line: "label: N items, X MiB, R items/s". Rate-limited. */
void cli_progress(const char *label, size_t items, unsigned long long bytes, int final);

/* Print a JSON value on stdout, one line, and free it. Returns an exit code. */
int cli_print_json(void *json);

/*
 * Write a JSON value (a json_t *, taken and freed) as cli_print_json()
 * does, without the newline: one element of an array written piece by
 * piece. EXIT_OK or EXIT_FAIL (said).
 */
int cli_json_write(void *json);

/*
 * An item's place in the view as JSON fields added to obj: "state"
 * (shown, retracted, refused), and when set "superseded_by", "why" and
 * "withdrawn": {"retraction", "created", "signers": [...]}, from r, the
 * retraction that withdraws it (NULL: none in the view). obj is a json_t *.
 */
void cli_view_json(void *obj, const svd_view_item *it, const svd_view_item *r);

/*
 * "withdrawn by retraction ID (created TIME, signed by KEYID ...)" (r as
 * cli_view_json's), why it is hidden, or its note; "" when there is nothing to say.
 */
void cli_view_why(char *out, size_t size, const svd_view_item *it, const svd_view_item *r);

/* The retraction in v that withdraws it, or NULL. */
const svd_view_item *cli_view_retraction(svd_view_item *out, const svd_view *v,
                                         const svd_view_item *it);

/* The archive's view of main (cheap: signatures, from the cache); NULL after printing why. */
svd_view *cli_view_open(svd_archive *a, int *code);

/*
 * What list and show read: the list of main (ARCHIVE/cache/list) when it
 * is current, else the view, built (which writes the list for next time).
 * A list found damaged part way is left for the view, from the same item on.
 */
typedef struct cli_items {
	svd_archive *a;
	svd_view_list *list;
	svd_view *view;
	size_t at;               /* items read so far */
	svd_view_item item, ret; /* from the view: the last item handed out, its retraction */
} cli_items;

/* EXIT_OK, or after printing why. */
int cli_items_open(cli_items *c, svd_archive *a);

/* The next item in the one order and its retraction (cli_view_json's r): 1, 0 at the end, or an exit code < 0 after printing why. */
int cli_items_next(cli_items *c, const svd_view_item **it, const svd_view_item **r);

/* The item with this full id: 1, 0 for none, or an exit code < 0 after printing why. */
int cli_items_find(cli_items *c, const char *id, const svd_view_item **it, const svd_view_item **r);

/* svd_view_trust_date of what is read. */
const char *cli_items_trust_date(const cli_items *c);

void cli_items_free(cli_items *c);

/* The options every statement command takes (certify, revoke, checkpoint). */
typedef struct cli_statement_opts {
	const char *key, *title, *lang, *created, *message;
	int json;
} cli_statement_opts;

/* Their getopt codes; a command's own options start at CLI_OPT_MORE. */
enum {
	CLI_OPT_KEY = 256,
	CLI_OPT_TITLE,
	CLI_OPT_LANG,
	CLI_OPT_CREATED,
	CLI_OPT_JSON,
	CLI_OPT_MORE,
};

/* Their entries of a getopt_long table (-m and -h too). */
/* clang-format off */
#define CLI_STATEMENT_OPTIONS                                  \
	{"key", required_argument, NULL, CLI_OPT_KEY},         \
	{"title", required_argument, NULL, CLI_OPT_TITLE},     \
	{"lang", required_argument, NULL, CLI_OPT_LANG},       \
	{"created", required_argument, NULL, CLI_OPT_CREATED}, \
	{"message", required_argument, NULL, 'm'},             \
	{"json", no_argument, NULL, CLI_OPT_JSON},             \
	{"help", no_argument, NULL, 'h'}
/* clang-format on */

/* Take a statement option (code c, argument arg) into o: 1 when it was one, else 0. */
int cli_statement_option(cli_statement_opts *o, int c, const char *arg);

/*
 * A statement's common fields: title, lang, and created (now when NULL).
 * Returns 0, or the usage error printed for cmd (EXIT_USAGE).
 */
int cli_statement_fields(svd_manifest *m, const char *cmd, svd_kind kind, const char *title,
                         const char *lang, const char *created);

/*
 * Sign the statements (built, not serialized) with sk and add them in one
 * commit, all or none: what certify, revoke and checkpoint do. Each one's
 * refusal is printed on stderr; then nothing is committed. commit (41
 * bytes) gets the commit. Returns an exit code.
 */
int cli_add_statements(svd_archive *a, svd_manifest *const *ms, size_t n, const svd_seckey *sk,
                       const char *message, char *commit);

/* Print the gate's problems with an item on stderr, one "refused ..." line each. */
void cli_print_refusal(const svd_verdict *v);

/* Does a string match the help options? */
int cli_is_help(const char *arg);

/* --threads ARG: 1 to max into *out, 0; or a usage error for cmd (EXIT_USAGE). */
int cli_threads(const char *cmd, const char *arg, unsigned max, unsigned *out);

/* SIZE with an optional K, M or G (1024-based), as --max-size takes it; 0 on anything else. */
unsigned long long cli_size(const char *s);

/* --trust PATH: a public key into trust; 0, or the error printed and its exit code. */
int cli_trust_file(svd_trust *trust, const char *path);

/* Is there an archive (its mirror-id) in dir? */
int cli_is_archive(const char *dir);

/* A damaged region of a bundle: appended to list (--json) or a line on out after lead. */
void cli_damage(void *list, FILE *out, const char *lead, uint64_t offset, uint64_t length,
                const char *what);

/*
 * Sealing (SPEC.md, 12): the options of the commands that write or read
 * sealed files, their getopt codes from CLI_OPT_SEAL on.
 */
enum {
	CLI_OPT_SEAL = 400,
	CLI_OPT_TO = CLI_OPT_SEAL,
	CLI_OPT_NETWORK,
	CLI_OPT_PASSPHRASE,
	CLI_OPT_PASSPHRASE_FILE,
};

/* clang-format off */
/* What a writing command takes (export, have): whom to seal for. */
#define CLI_SEAL_WRITE_OPTIONS                                               \
	{"to", required_argument, NULL, CLI_OPT_TO},                         \
	{"network", no_argument, NULL, CLI_OPT_NETWORK},                     \
	{"passphrase", no_argument, NULL, CLI_OPT_PASSPHRASE},               \
	{"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE}
/* What a reading command takes (import, inspect, export --have): a passphrase. */
#define CLI_SEAL_READ_OPTIONS                                                \
	{"passphrase", no_argument, NULL, CLI_OPT_PASSPHRASE},               \
	{"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE}
/* clang-format on */

/* The help lines of those options. */
#define CLI_SEAL_WRITE_HELP                                                                        \
	"  --to FILE          seal for the mirror whose public key FILE holds (from\n"             \
	"                     'samvydav network key'); more than once for more mirrors.\n"         \
	"                     The file is then random bytes to anyone else\n"                      \
	"  --network          seal for every mirror of this archive's network\n"                   \
	"                     ('samvydav network list')\n"                                         \
	"  --passphrase       seal for a passphrase too (asked on the terminal, twice;\n"          \
	"                     without one, the first line of standard input)\n"                    \
	"  --passphrase-file FILE  the same, the passphrase being FILE's first line\n"
#define CLI_SEAL_READ_HELP                                                                         \
	"  --passphrase       a sealed file's passphrase (asked on the terminal; without\n"        \
	"                     one, the first line of standard input). Without it, the\n"           \
	"                     archive's own keys are tried (SPEC.md, 12)\n"                        \
	"  --passphrase-file FILE  the same, the passphrase being FILE's first line\n"

/* A command's sealing options and, once prepared, its keys; zero-initialise. */
typedef struct cli_seal {
	const char *to[SVD_SEAL_MAX_TO]; /* --to files */
	size_t nto;
	int network;          /* --network */
	int ask;              /* --passphrase */
	const char *passfile; /* --passphrase-file */
	/* prepared */
	svd_seal_keys *ring;                  /* the archive's keys and the passphrase */
	uint8_t (*mirrors)[SVD_SEAL_KEY_LEN]; /* whom to seal for */
	size_t nmirrors;
	char *pass; /* sodium_malloc'd */
	size_t passlen;
	svd_seal_to spec;
	int sealing; /* the options ask for a sealed file */
} cli_seal;

/*
 * Take a sealing option (code c, argument arg) into s: 1 when it was one,
 * 0 when not, or a usage error printed for cmd (EXIT_USAGE, negated).
 */
int cli_seal_option(cli_seal *s, const char *cmd, int c, const char *arg);

/*
 * Make s ready: the passphrase read, the archive's key ring loaded (a may
 * be NULL: no archive, passphrase only), and for writing the recipients.
 * writing asks twice for a passphrase on a terminal. Returns 0, or the
 * error printed and its exit code.
 */
int cli_seal_prepare(cli_seal *s, const char *cmd, svd_archive *a, int writing);

/* Whom to seal for, or NULL when the options asked for a plain file. */
const svd_seal_to *cli_seal_to(const cli_seal *s);

/* Free and wipe what cli_seal_prepare() made. */
void cli_seal_free(cli_seal *s);

#endif
