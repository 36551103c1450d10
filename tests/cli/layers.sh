#!/usr/bin/env bash
# The library's walls (archive-format/layers.txt, checked by
# tools/check_layers.py at build time): the checkout passes, and a copy
# with each kind of breach fails, naming it.
. "$(dirname "$0")/lib.sh"

S=${SVD_SOURCE_DIR:?}
C=$T/copy
check_layers() { python3 "$S/archive-format/tools/check_layers.py" "$@"; }
fresh() {
	rm -rf "$C"
	mkdir -p "$C"
	cp -r "$S/archive-format" "$C/"
}

expect_exit 0 "" "the checkout's walls hold" check_layers "$S"

fresh
sed -i '0,/#include "util.h"/s//#include "util.h"\n#include "store_internal.h"/' "$C/archive-format/src/canon.c"
expect_exit 1 "canon.c \(core, layer 1\) includes store_internal.h \(store, layer 2\)" \
	"a core file that includes a store header fails" check_layers "$C"

fresh
sed -i '0,/#include "util.h"/s//#include "util.h"\n#include "render_internal.h"/' "$C/archive-format/src/store_read.c"
expect_exit 1 "store_read.c \(store\) includes render_internal.h \(render\): rooms of layer 2" \
	"two rooms of one layer that meet fail" check_layers "$C"

fresh
sed -i '0,/#include "util.h"/s//#include "util.h"\n#include <git2.h>/' "$C/archive-format/src/view.c"
expect_exit 1 "view.c: includes <git2.h>, but only the store" "git outside the store fails" check_layers "$C"

fresh
printf '#ifndef A_H\n#define A_H\n#include "b_loop.h"\n#endif\n' >"$C/archive-format/src/a_loop.h"
printf '#ifndef B_H\n#define B_H\n#include "a_loop.h"\n#endif\n' >"$C/archive-format/src/b_loop.h"
printf 'room loop 0 a_loop.h b_loop.h\n' >>"$C/archive-format/layers.txt"
expect_exit 1 "include circle: a_loop.h -> b_loop.h -> a_loop.h" "an include circle fails" check_layers "$C"

fresh
printf '/* new */\n' >"$C/archive-format/src/stray.c"
expect_exit 1 "stray.c: in no room" "a file in no room fails" check_layers "$C"

fresh
printf 'allow canon.c samvydav/store.h\n' >>"$C/archive-format/layers.txt"
expect_exit 1 "'allow canon.c samvydav/store.h' matches nothing any more" "a stale exception fails" check_layers "$C"

fresh
printf 'room nonsense\n' >>"$C/archive-format/layers.txt"
expect_exit 2 "not 'room NAME LAYER FILES" "a malformed map fails" check_layers "$C"

finish
