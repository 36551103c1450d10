/*
 * fuzz_config.c: samvydavd's configuration file (git-config syntax through
 * libgit2, then every key checked by daemon/config.c), run as
 * `samvydavd --check-config` runs it: load, then print the effective
 * settings. What loads must print to a file that loads to the same
 * settings. The archive, inbox and outbox that a file may name exist under
 * FIXTURE, so that the seeds reach past the archive check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "samvydav/archive.h"

#define FIXTURE "/tmp/svd-fuzz-config"

static void fixture(void)
{
	static int done;
	svd_archive *a = NULL;

	if (done)
		return;
	mkdir(FIXTURE, 0755);
	mkdir(FIXTURE "/inbox", 0755);
	mkdir(FIXTURE "/outbox", 0755);
	if (svd_archive_open(&a, FIXTURE "/archive") < 0 &&
	    svd_archive_init(&a, FIXTURE "/archive") < 0)
		abort();
	svd_archive_free(a);
	done = 1;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Every setting but the file's name. */
static int same_config(const svdd_config *a, const svdd_config *b)
{
	size_t i;

	if (!same_str(a->archive, b->archive) || a->ninbox != b->ninbox ||
	    a->inbox_settle != b->inbox_settle || a->inbox_rescan != b->inbox_rescan ||
	    !same_str(a->outbox, b->outbox) || a->outbox_every != b->outbox_every ||
	    a->outbox_keep != b->outbox_keep || a->outbox_maxsize != b->outbox_maxsize ||
	    a->outbox_sealed != b->outbox_sealed || a->stick_layout != b->stick_layout ||
	    !same_str(a->stick_folder, b->stick_folder) || a->npeers != b->npeers ||
	    a->http_enabled != b->http_enabled || !same_str(a->http_address, b->http_address) ||
	    a->http_port != b->http_port || a->http_maxconnections != b->http_maxconnections ||
	    a->http_peraddress != b->http_peraddress || a->http_timeout != b->http_timeout ||
	    a->http_headertimeout != b->http_headertimeout || a->log_level != b->log_level)
		return 0;
	for (i = 0; i < a->ninbox; i++)
		if (!same_str(a->inbox[i], b->inbox[i]))
			return 0;
	for (i = 0; i < a->npeers; i++)
		if (!same_str(a->peers[i].name, b->peers[i].name) ||
		    !same_str(a->peers[i].url, b->peers[i].url) ||
		    a->peers[i].every != b->peers[i].every ||
		    a->peers[i].timeout != b->peers[i].timeout ||
		    a->peers[i].maxsize != b->peers[i].maxsize)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/svd-fuzz-config-XXXXXX", again[] = "/tmp/svd-fuzz-config-XXXXXX";
	svdd_config *c = NULL, *c2 = NULL;
	FILE *f;
	int fd;

	fuzz_init();
	fixture();
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (svdd_config_load(&c, path) == 0) {
		/* what was accepted holds its invariants */
		if (!c->archive || c->archive[0] != '/' || !c->http_address || !c->http_port ||
		    !c->inbox_rescan || !c->outbox_keep || !c->http_maxconnections ||
		    !c->http_timeout || !c->http_peraddress || !c->http_headertimeout ||
		    svdd_config_http_changed(c, c))
			abort();
		/* --check-config's output is a configuration file that says the same */
		if ((fd = mkstemp(again)) < 0 || !(f = fdopen(fd, "w")))
			abort();
		svdd_config_print(c, f);
		fclose(f);
		if (svdd_config_load(&c2, again) < 0 || !same_config(c, c2)) {
			fprintf(stderr, "fuzz_config: the printed settings do not load back: %s\n",
			        c2 ? "they differ" : svd_error_last());
			abort();
		}
		unlink(again);
	}
	svdd_config_free(c2);
	svdd_config_free(c);
	unlink(path);
	return 0;
}
