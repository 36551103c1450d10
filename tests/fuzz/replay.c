/*
 * replay.c: run a fuzz target over files and folders of inputs (its corpus),
 * as an ordinary program: this is how ctest runs every corpus under gcc and
 * the sanitizers, without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: no such file or folder\n", argv[i]);
			return 2;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k, count = scandir(argv[i], &names, NULL, alphasort);
			for (k = 0; k < count; k++) {
				char path[4096];
				if (names[k]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i],
					         names[k]->d_name);
					bad += run_file(path) < 0;
					n++;
				}
				free(names[k]);
			}
			free(names);
		} else {
			bad += run_file(argv[i]) < 0;
			n++;
		}
	}
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
