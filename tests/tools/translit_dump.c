/*
 * translit_dump.c: the C side of transliteration for the script's test
 * (tests/cli/translit_js.sh, which compares archive-format/reader/lex.js
 * with it):
 *
 *     translit_dump js        search/translit.js (svd_render_translit_js)
 *     translit_dump forms     each token of standard input (one a line):
 *                             TOKEN<TAB>UK<TAB>RU, "-" for no form
 *     translit_dump combos    the same for every token of 1 to 3 code points
 *                             over both tables' letters and a few others,
 *                             and each letter repeated up to 17 times
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_internal.h"
#include "util.h"

static void forms(const char *tok, size_t len)
{
	int scheme;

	fwrite(tok, 1, len, stdout);
	for (scheme = SVD_TRANSLIT_UK; scheme <= SVD_TRANSLIT_RU; scheme++) {
		svd_buf b;
		int r;

		svd_buf_init(&b, 4096);
		r = svd_translit(&b, tok, len, scheme);
		if (r < 0) {
			fprintf(stderr, "translit_dump: %s\n", svd_error_last());
			exit(1);
		}
		printf("\t%s", r ? b.data : "-");
		svd_buf_clear(&b);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	/* а..я, є і ї ґ, ʼ; then ASCII, ё (not folded), ў (in no table), Х (a capital) */
	static const unsigned cps[] = {
	    0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A,
	    0x043B, 0x043C, 0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445,
	    0x0446, 0x0447, 0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F, 0x0454,
	    0x0456, 0x0457, 0x0491, 0x02BC, 'a',    '7',    0x0451, 0x045E, 0x0425};
	const size_t n = sizeof(cps) / sizeof(cps[0]);
	char line[4096];
	size_t a, b, c, k;

	if (argc == 2 && !strcmp(argv[1], "js")) {
		svd_buf out;
		svd_buf_init(&out, 1 << 20);
		if (svd_render_translit_js(&out) < 0)
			return 1;
		fwrite(out.data, 1, out.len, stdout);
		svd_buf_clear(&out);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "forms")) {
		while (fgets(line, sizeof(line), stdin)) {
			size_t len = strcspn(line, "\n");
			if (len)
				forms(line, len);
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "combos")) {
		for (a = 0; a < n; a++) {
			size_t l1 = svd_utf8_put(line, cps[a]);
			forms(line, l1);
			for (b = 0; b < n; b++) {
				size_t l2 = l1 + svd_utf8_put(line + l1, cps[b]);
				forms(line, l2);
				for (c = 0; c < n; c++)
					forms(line, l2 + svd_utf8_put(line + l2, cps[c]));
			}
			for (k = 1, l1 = 0; k <= 17; k++) {
				l1 += svd_utf8_put(line + l1, cps[a]);
				if (k >= 4)
					forms(line, l1);
			}
		}
		return 0;
	}
	fprintf(stderr, "usage: translit_dump js | forms | combos\n");
	return 2;
}
