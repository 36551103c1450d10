/*
 * seal.c: the sealing options the commands share (--to, --network,
 * --passphrase, --passphrase-file) and the keys they make (SPEC.md, 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

int cli_seal_option(cli_seal *s, const char *cmd, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_TO:
		if (s->nto == SVD_SEAL_MAX_TO)
			return -cli_usage(cmd, "--to: at most %d mirrors", SVD_SEAL_MAX_TO);
		s->to[s->nto++] = arg;
		return 1;
	case CLI_OPT_NETWORK:
		s->network = 1;
		return 1;
	case CLI_OPT_PASSPHRASE:
		s->ask = 1;
		return 1;
	case CLI_OPT_PASSPHRASE_FILE:
		s->passfile = arg;
		return 1;
	default:
		return 0;
	}
}

/* A passphrase file's bytes, whole, in secure memory (sodium_free()). */
static int read_secret(const char *path, char **out, size_t *len, size_t max)
{
	uint64_t size;
	char *buf;
	size_t n = 0;
	int fd, error;

	if ((error = svd_file_open(&fd, &size, path)) < 0)
		return error;
	if (size > max) {
		close(fd);
		return svd_error_set(SVD_ETOOBIG, "%s: over %zu bytes: not a passphrase file", path,
		                     max);
	}
	if (!(buf = sodium_malloc(max + 1))) {
		close(fd);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	while (n < max) {
		ssize_t got = read(fd, buf + n, max - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			close(fd);
			sodium_free(buf);
			return svd_error_set(SVD_ERROR, "%s: cannot read: %s", path, strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The passphrase of --passphrase or --passphrase-file into s->pass. */
static int read_passphrase(cli_seal *s, int writing)
{
	char *text = NULL, *nl;
	size_t len = 0;
	int error;

	if (s->passfile) {
		if ((error = read_secret(s->passfile, &text, &len, SVD_SEAL_PASS_MAX + 2)) < 0)
			return error;
		if ((nl = memchr(text, '\n', len)))
			*nl = '\0';
		len = strlen(text);
		if (len && text[len - 1] == '\r')
			text[--len] = '\0';
		s->pass = text;
	} else {
		if (!(s->pass = sodium_malloc(SVD_SEAL_PASS_MAX + 2)))
			return svd_error_set(SVD_ERROR, "out of memory");
		if ((error = cli_passphrase(s->pass, SVD_SEAL_PASS_MAX + 2,
		                            "Passphrase of the sealed file: ", writing)) < 0)
			return error;
	}
	s->passlen = strlen(s->pass);
	if (s->passlen == 0)
		return svd_error_set(SVD_EINVALID, "the passphrase is empty");
	if (s->passlen > SVD_SEAL_PASS_MAX)
		return svd_error_set(SVD_EINVALID, "the passphrase is longer than %d bytes",
		                     SVD_SEAL_PASS_MAX);
	return 0;
}

/* The public keys of the --to files into s->mirrors (after those already there). */
static int read_to(cli_seal *s)
{
	size_t i;
	int error;

	for (i = 0; i < s->nto; i++) {
		if ((error = svd_network_public_read(s->mirrors[s->nmirrors], s->to[i])) < 0)
			return svd_error_set(error, "--to %s: %s", s->to[i], svd_error_last());
		s->nmirrors++;
	}
	return 0;
}

int cli_seal_prepare(cli_seal *s, const char *cmd, svd_archive *a, int writing)
{
	uint8_t(*net)[SVD_SEAL_KEY_LEN] = NULL;
	size_t nnet = 0;
	int error;

	(void)cmd;
	s->sealing = s->nto > 0 || s->network || s->ask || s->passfile;
	if (a && writing && s->sealing) {
		/* an archive made before sealed files gets its key pair now */
		int made = 0;
		if ((error = svd_network_key_ensure(a, &made)) < 0)
			return cli_fail(error);
		if (made)
			fprintf(stderr,
			        "samvydav: this archive had no encryption key pair; it has one "
			        "now: give 'samvydav network key' to the other mirrors\n");
	}
	if (a && (error = svd_archive_seal_keys(a, &s->ring)) < 0)
		return cli_fail(error);
	if (!s->ring && (error = svd_seal_keys_new(&s->ring)) < 0)
		return cli_fail(error);
	if ((s->ask || s->passfile) &&
	    ((error = read_passphrase(s, writing)) < 0 ||
	     (error = svd_seal_keys_add_passphrase(s->ring, s->pass, s->passlen)) < 0))
		return cli_fail(error);
	if (!writing || !s->sealing)
		return 0;
	if (s->network && (error = svd_network_recipients(&net, &nnet, a)) < 0)
		return cli_fail(error);
	if (s->network && nnet == 0) {
		free(net);
		cli_error("--network: this archive's network has no mirror yet; add their keys "
		          "with 'samvydav network add FILE'");
		return EXIT_USAGE;
	}
	if (nnet + s->nto > SVD_SEAL_MAX_TO) {
		free(net);
		cli_error("%zu mirrors: a file is sealed for at most %d", nnet + s->nto,
		          SVD_SEAL_MAX_TO);
		return EXIT_USAGE;
	}
	if (!(s->mirrors = calloc(nnet + s->nto + 1, sizeof(*s->mirrors)))) {
		free(net);
		return cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
	}
	if (nnet)
		memcpy(s->mirrors, net, nnet * sizeof(*net));
	s->nmirrors = nnet;
	free(net);
	if ((error = read_to(s)) < 0)
		return cli_fail(error);
	/* the sender gets a slot of its own, to read back what it wrote */
	s->spec.from = svd_seal_keys_own_count(s->ring) ? s->ring : NULL;
	s->spec.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN])s->mirrors;
	s->spec.nmirrors = s->nmirrors;
	s->spec.passphrase = s->pass;
	s->spec.passlen = s->passlen;
	return 0;
}

const svd_seal_to *cli_seal_to(const cli_seal *s)
{
	return s->sealing ? &s->spec : NULL;
}

void cli_seal_free(cli_seal *s)
{
	svd_seal_keys_free(s->ring);
	free(s->mirrors);
	if (s->pass)
		sodium_free(s->pass);
	memset(s, 0, sizeof(*s));
}
