/*
 * bundle_scale.c: the bundle writer and reader alone at any number of
 * items, for their memory (tests/bench/README.md, "Every command at
 * scale"). Items are one two-byte manifest.json each, ids 1..N, so what
 * is measured is the bundle's own cost per item (BUNDLE.json, the index,
 * the frames), not the archive's. Not a test.
 *
 *     bundle_scale write N OUT.tar.zst     prints the files written
 *     bundle_scale read FILE...            inspects each (no key trusted)
 *
 * Built by hand against a build's library (internal headers):
 *     cc -O2 -Iarchive-format/include -Iarchive-format/src tests/bench/bundle_scale.c \
 *        build/archive-format/libsamvydav.a $(pkg-config --libs libgit2 libsodium jansson \
 *        zlib libarchive libzstd libcmark) -lutf8proc -lstemmer -o /tmp/bundle_scale
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/bundle.h"
#include "samvydav/manifest.h"
#include "bundle_write.h"

static int write_bundle(size_t n, const char *out)
{
	svd_bundle_writer_opts o = {0};
	svd_bundle_writer *w = NULL;
	/* the caller's ids: 73 bytes an item, in one block (65 MB, 8 MB of pointers at a million) */
	char **ids = malloc(n * sizeof(*ids)), *text = malloc(n * (SVD_ID_HEX_LEN + 1) + 1);
	char path[128], **files = NULL;
	size_t i, nfiles = 0;
	uint64_t bytes = 0;

	if (!ids || !text)
		return 1;
	for (i = 0; i < n; i++) {
		ids[i] = text + i * (SVD_ID_HEX_LEN + 1);
		snprintf(ids[i], SVD_ID_HEX_LEN + 1, "%064zx", i + 1);
	}
	o.mirror = "0123456789abcdef0123456789abcdef";
	o.ids = (const char *const *)ids;
	o.n = n;
	o.level = 3;
	if (svd_bundle_writer_new(&w, out, &o) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		svd_bundle_file f = {path, "{}", 2};
		snprintf(path, sizeof(path), "items/%.2s/%s/manifest.json", ids[i], ids[i]);
		if (svd_bundle_writer_item(w, &f, 1) < 0)
			goto fail;
	}
	if (svd_bundle_writer_finish(w, &files, &nfiles, &bytes) < 0)
		goto fail;
	for (i = 0; i < nfiles; i++) {
		printf("%s\n", files[i]);
		free(files[i]);
	}
	free(files);
	printf("%zu items, %zu files, %llu bytes\n", n, nfiles, (unsigned long long)bytes);
	svd_bundle_writer_free(w);
	return 0;
fail:
	fprintf(stderr, "bundle_scale: %s\n", svd_error_last());
	svd_bundle_writer_free(w);
	return 1;
}

int main(int argc, char **argv)
{
	svd_trust *trust = NULL;
	int k;

	svd_init();
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_bundle(strtoul(argv[2], NULL, 10), argv[3]);
	if (argc < 3 || strcmp(argv[1], "read") || svd_trust_new(&trust) < 0) {
		fprintf(stderr, "usage: bundle_scale write N OUT.tar.zst | read FILE...\n");
		return 2;
	}
	for (k = 2; k < argc; k++) {
		svd_bundle_stats st = {0};
		svd_bundle_inspect(argv[k], trust, NULL, &st);
		printf("%s: %zu declared, %zu read, %zu lost, %zu damaged, listing %d, index %d\n",
		       argv[k], st.declared, st.items, st.lost, st.damaged, st.listing,
		       st.has_index);
	}
	svd_trust_free(trust);
	return 0;
}
