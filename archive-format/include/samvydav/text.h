/*
 * text.h: text from outside (names in a bundle, on a stick or in an inbox,
 * titles and other fields of a manifest, what a peer says) as it may be
 * shown: printed on a terminal, logged, written into a record, JSON or
 * HTML. SPEC.md, 13 says what is escaped and why.
 *
 * One rule for every output: control characters (C0, DEL, C1), the
 * bidirectional controls (Unicode's Bidi_Control: U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
 * (U+2028, U+2029) never reach an output raw, nor do bytes that are not
 * UTF-8. Text gets visible escapes (svd_text_escape()), JSON \uXXXX
 * escapes (svd_text_json()), HTML a U+FFFD (the library's pages).
 */
#ifndef SAMVYDAV_TEXT_H
#define SAMVYDAV_TEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of svd_text_escape(). */
enum svd_text_flags {
	/**
	 * A backslash stays as it is: for a message already made of escaped
	 * parts (svd_error_last()), so that nothing is escaped twice.
	 */
	SVD_TEXT_KEEP_BACKSLASH = 1,
};

/**
 * Is the code point one that no output may carry raw: U+0000..U+001F,
 * U+007F..U+009F, a bidirectional control, U+2028 or U+2029?
 *
 * @return 1 or 0.
 */
int svd_text_control(uint32_t cp);

/**
 * Would svd_text_escape() give these n bytes back as they are (valid
 * UTF-8, no control character, no backslash unless flags keep it)? A
 * listing of a million titles asks this first and copies nothing.
 *
 * @return 1 or 0.
 */
int svd_text_plain(const char *s, size_t n, unsigned flags);

/**
 * Text from outside as a terminal, a log or a line-based record may show
 * it: a backslash becomes "\\", a control character below U+0080 and a
 * byte that is not part of valid UTF-8 "\xNN" (two lower-case hex
 * digits), any other character of svd_text_control() "\uNNNN" (four
 * upper-case hex digits); the rest is copied. The result is printable
 * UTF-8 with no control character, one line, and it says exactly which
 * bytes s held (the escapes read back to them).
 *
 * @param[out] out   size bytes; gets as much of the result as fits,
 *                   cut only between characters and escapes, and a NUL
 *                   (when size > 0).
 * @param size       bytes of out (0: only measure).
 * @param s          the text, n bytes (NUL bytes in it are escaped too).
 * @param flags      0, or SVD_TEXT_KEEP_BACKSLASH.
 * @return the length of the whole result, its NUL not counted (as
 *         snprintf: a result >= size was cut).
 */
size_t svd_text_escape(char *out, size_t size, const char *s, size_t n, unsigned flags);

/**
 * JSON text (UTF-8, as jansson writes it) with every character of
 * svd_text_control() in its strings written as a \uNNNN escape: the
 * same JSON value, but nothing in it acts on a terminal or turns the text
 * around when the JSON is shown as it is.
 *
 * @return a new string (free()), or NULL when out of memory.
 */
char *svd_text_json(const char *json);

#ifdef __cplusplus
}
#endif

#endif
