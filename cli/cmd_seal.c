/*
 * cmd_seal.c: samvydav seal and samvydav unseal — seal a plain bundle or
 * have-file for mirrors or a passphrase, and open a sealed one (SPEC.md, 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void seal_help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav seal -o OUT [--to FILE]... [--network]\n"
	        "                     [--passphrase | --passphrase-file FILE] FILE\n"
	        "\n"
	        "Seal a plain bundle (NAME.tar.zst) or have-file that exists already,\n"
	        "as 'samvydav export' and 'samvydav have' seal what they write (SPEC.md,\n"
	        "12): OUT is random bytes to anyone but the mirrors and passphrase\n"
	        "given, with no name, magic or size that tells what it is. This mirror\n"
	        "(-C) can always open what it sealed. FILE is not changed; delete it\n"
	        "yourself if it must not stay.\n"
	        "\n"
	        "  -o, --output OUT   the sealed file to write (written under a random\n"
	        "                     temporary name, synced, then renamed)\n" CLI_SEAL_WRITE_HELP
	        "\n"
	        "Exit codes: 2 for no recipient at all, 3 for a FILE that is neither a\n"
	        "bundle nor a have-file, 4 for a FILE or key file that is missing.\n");
}

static void unseal_help(FILE *out)
{
	fprintf(out, "usage: samvydav unseal -o OUT [--passphrase | --passphrase-file FILE]\n"
	             "                       FILE\n"
	             "\n"
	             "Open a sealed file (SPEC.md, 12) with this archive's keys (-C) or a\n"
	             "passphrase, and write what it holds, a plain bundle or have-file, to\n"
	             "OUT ('-' for standard output). Damaged chunks are written as zero\n"
	             "bytes and reported. OUT is in the clear: never write it onto a stick\n"
	             "a courier carries. Import and inspect read sealed files without this.\n"
	             "\n"
	             "  -o, --output OUT   where to write the plaintext\n" CLI_SEAL_READ_HELP "\n"
	             "Exit codes: 1 when no key here and no passphrase given opens FILE, 3\n"
	             "when FILE is damaged (what could be read is written), 4 for a missing\n"
	             "FILE.\n");
}

int cmd_seal(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_WRITE_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	cli_seal seal = {0};
	svd_archive *a = NULL;
	const char *output = NULL;
	uint8_t *buf = NULL;
	uint64_t size, done = 0;
	int c, code, error, fd = -1, kind;
	char head[14];
	svd_seal_file *o = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "seal", c, optarg)) != 0) {
			if (code < 0)
				return -code;
			continue;
		}
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			seal_help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("seal", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("seal", "seal takes one FILE");
	if (!output)
		return cli_usage("seal", "say where to write the sealed file: -o OUT");
	if (!seal.nto && !seal.network && !seal.ask && !seal.passfile)
		return cli_usage("seal",
		                 "say whom to seal for: --to FILE, --network or a passphrase");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = cli_seal_prepare(&seal, "seal", a, 1)) != 0)
		goto cleanup;
	if ((error = svd_file_open(&fd, &size, argv[optind])) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head)) {
		code = cli_fail(svd_error_set(
		    SVD_ECORRUPT, "%s: too short for a bundle or have-file", argv[optind]));
		goto cleanup;
	}
	if (!memcmp(head, zstd_magic, 4))
		kind = SVD_SEAL_BUNDLE;
	else if (!memcmp(head, "samvydav have ", 14))
		kind = SVD_SEAL_HAVE;
	else {
		code = cli_fail(svd_error_set(SVD_ECORRUPT,
		                              "%s: neither a plain bundle (a zstd frame) nor a "
		                              "have-file ('samvydav have'): nothing to seal",
		                              argv[optind]));
		goto cleanup;
	}
	if ((error = svd_seal_file_open(&o, output, cli_seal_to(&seal), kind)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (!(buf = malloc(1 << 20))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	while (done < size) {
		ssize_t n = pread(fd, buf, 1 << 20, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			code =
			    cli_fail(svd_error_set(SVD_ERROR, "%s: cannot read: %s", argv[optind],
			                           n < 0 ? strerror(errno) : "it shrank"));
			goto cleanup;
		}
		if ((error = svd_seal_file_write(o, buf, (size_t)n)) < 0) {
			code = cli_fail(error);
			goto cleanup;
		}
		done += (uint64_t)n;
	}
	if ((error = svd_seal_file_commit(o)) < 0) {
		o = NULL;
		code = cli_fail(error);
		goto cleanup;
	}
	o = NULL;
	fprintf(stderr, "Sealed %s into %s\n", argv[optind], output);
	code = EXIT_OK;
cleanup:
	svd_seal_file_abort(o);
	free(buf);
	if (fd >= 0)
		close(fd);
	cli_seal_free(&seal);
	svd_archive_free(a);
	return code;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t damaged;

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	(void)payload;
	damaged++;
	fprintf(stderr, "samvydav: damage at byte %llu (%llu bytes): %s\n",
	        (unsigned long long)offset, (unsigned long long)length, what);
}

int cmd_unseal(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_READ_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	cli_seal seal = {0};
	svd_archive *a = NULL;
	svd_unsealer *u = NULL;
	svd_seal_kind kind;
	const char *output = NULL;
	uint8_t *buf = NULL;
	uint64_t size, off = 0, total;
	int c, code, error, fd = -1, out = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "unseal", c, optarg)) != 0) {
			if (code < 0)
				return -code;
			continue;
		}
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			unseal_help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("unseal", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("unseal", "unseal takes one FILE");
	if (!output)
		return cli_usage("unseal", "say where to write what it holds: -o OUT (- for "
		                           "standard output)");
	if (cli_is_archive(ctx->archive_dir) && (code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = cli_seal_prepare(&seal, "unseal", a, 0)) != 0)
		goto cleanup;
	if ((error = svd_file_open(&fd, &size, argv[optind])) < 0 ||
	    (error = svd_unseal_open(&u, fd, size, seal.ring, &kind)) < 0) {
		if (error == SVD_ENOKEY)
			svd_error_set(error, "%s: %s", argv[optind], svd_error_last());
		code = cli_fail(error);
		goto cleanup;
	}
	damaged = 0;
	svd_unseal_on_damage(u, on_damage, NULL); /* a damaged head is told at the first read */
	if (kind == SVD_SEAL_PARTIAL) {
		code = cli_fail(svd_error_set(SVD_ECORRUPT,
		                              "%s: a sealed file whose writing never finished: it "
		                              "holds nothing, and may be deleted",
		                              argv[optind]));
		goto cleanup;
	}
	out = strcmp(output, "-") ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
	                          : STDOUT_FILENO;
	if (out < 0) {
		code = cli_fail(
		    svd_error_set(SVD_ERROR, "%s: cannot create: %s", output, strerror(errno)));
		goto cleanup;
	}
	if (!(buf = malloc(1 << 20))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	total = svd_unseal_size(u);
	while (off < total) {
		ssize_t n = svd_unseal_pread(u, buf, 1 << 20, off);
		if (n < 0) {
			code = cli_fail((int)n);
			goto cleanup;
		}
		if (n == 0)
			break;
		if (write_all(out, buf, (size_t)n) < 0) {
			code = cli_fail(svd_error_set(SVD_ERROR, "%s: cannot write: %s", output,
			                              strerror(errno)));
			goto cleanup;
		}
		off += (uint64_t)n;
	}
	if (out != STDOUT_FILENO && fsync(out) < 0) {
		code = cli_fail(
		    svd_error_set(SVD_ERROR, "%s: cannot write: %s", output, strerror(errno)));
		goto cleanup;
	}
	fprintf(stderr, "%s: a sealed %s, %llu bytes%s\n", argv[optind],
	        kind == SVD_SEAL_BUNDLE ? "bundle" : "have-file", (unsigned long long)off,
	        damaged ? ", damaged" : "");
	code = damaged ? EXIT_REFUSED : EXIT_OK;
cleanup:
	if (out >= 0 && out != STDOUT_FILENO)
		close(out);
	free(buf);
	svd_unseal_free(u);
	if (fd >= 0)
		close(fd);
	cli_seal_free(&seal);
	svd_archive_free(a);
	return code;
}
