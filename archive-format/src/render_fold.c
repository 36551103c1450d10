/*
 * render_fold.c: folding, tokens and shards for the reader's search
 * (SPEC.md, 11.3 and 11.4).
 *
 * One table is the single source of truth: the C side folds the text it
 * indexes with it, and search/fold.js (svd_render_fold_js) hands the very
 * same mappings to the reader's script, which folds queries by looking up
 * each code point and nothing else. So a query matches exactly when its
 * folded tokens equal the indexed ones, in every script.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "util.h"

/*
 * Every code point that folding changes, sorted; to = 0 drops it. Made from
 * Unicode 15's data: ASCII A-Z to a-z; Latin-1 Supplement and Latin
 * Extended-A letters to their base letter, lowercased (canonical
 * decomposition with the marks removed; đ ħ ı ł ŀ ŧ ſ ø ŉ by hand, ß ĸ
 * unchanged, Æ Ð Þ Ĳ Ŋ Œ only lowercased); Greek letters U+0370-U+03FF
 * lowercased without accents or diaeresis, final ς to σ; Cyrillic
 * U+0400-U+04FF lowercased, and ё to е (ї, й, є, ґ stay letters of their
 * own); combining marks U+0300-U+036F dropped.
 */
const svd_fold_pair svd_fold_table[] = {
    {0x0041, 0x0061}, /* A -> a */
    {0x0042, 0x0062}, /* B -> b */
    {0x0043, 0x0063}, /* C -> c */
    {0x0044, 0x0064}, /* D -> d */
    {0x0045, 0x0065}, /* E -> e */
    {0x0046, 0x0066}, /* F -> f */
    {0x0047, 0x0067}, /* G -> g */
    {0x0048, 0x0068}, /* H -> h */
    {0x0049, 0x0069}, /* I -> i */
    {0x004A, 0x006A}, /* J -> j */
    {0x004B, 0x006B}, /* K -> k */
    {0x004C, 0x006C}, /* L -> l */
    {0x004D, 0x006D}, /* M -> m */
    {0x004E, 0x006E}, /* N -> n */
    {0x004F, 0x006F}, /* O -> o */
    {0x0050, 0x0070}, /* P -> p */
    {0x0051, 0x0071}, /* Q -> q */
    {0x0052, 0x0072}, /* R -> r */
    {0x0053, 0x0073}, /* S -> s */
    {0x0054, 0x0074}, /* T -> t */
    {0x0055, 0x0075}, /* U -> u */
    {0x0056, 0x0076}, /* V -> v */
    {0x0057, 0x0077}, /* W -> w */
    {0x0058, 0x0078}, /* X -> x */
    {0x0059, 0x0079}, /* Y -> y */
    {0x005A, 0x007A}, /* Z -> z */
    {0x00C0, 0x0061}, /* À -> a */
    {0x00C1, 0x0061}, /* Á -> a */
    {0x00C2, 0x0061}, /* Â -> a */
    {0x00C3, 0x0061}, /* Ã -> a */
    {0x00C4, 0x0061}, /* Ä -> a */
    {0x00C5, 0x0061}, /* Å -> a */
    {0x00C6, 0x00E6}, /* Æ -> æ */
    {0x00C7, 0x0063}, /* Ç -> c */
    {0x00C8, 0x0065}, /* È -> e */
    {0x00C9, 0x0065}, /* É -> e */
    {0x00CA, 0x0065}, /* Ê -> e */
    {0x00CB, 0x0065}, /* Ë -> e */
    {0x00CC, 0x0069}, /* Ì -> i */
    {0x00CD, 0x0069}, /* Í -> i */
    {0x00CE, 0x0069}, /* Î -> i */
    {0x00CF, 0x0069}, /* Ï -> i */
    {0x00D0, 0x00F0}, /* Ð -> ð */
    {0x00D1, 0x006E}, /* Ñ -> n */
    {0x00D2, 0x006F}, /* Ò -> o */
    {0x00D3, 0x006F}, /* Ó -> o */
    {0x00D4, 0x006F}, /* Ô -> o */
    {0x00D5, 0x006F}, /* Õ -> o */
    {0x00D6, 0x006F}, /* Ö -> o */
    {0x00D8, 0x006F}, /* Ø -> o */
    {0x00D9, 0x0075}, /* Ù -> u */
    {0x00DA, 0x0075}, /* Ú -> u */
    {0x00DB, 0x0075}, /* Û -> u */
    {0x00DC, 0x0075}, /* Ü -> u */
    {0x00DD, 0x0079}, /* Ý -> y */
    {0x00DE, 0x00FE}, /* Þ -> þ */
    {0x00E0, 0x0061}, /* à -> a */
    {0x00E1, 0x0061}, /* á -> a */
    {0x00E2, 0x0061}, /* â -> a */
    {0x00E3, 0x0061}, /* ã -> a */
    {0x00E4, 0x0061}, /* ä -> a */
    {0x00E5, 0x0061}, /* å -> a */
    {0x00E7, 0x0063}, /* ç -> c */
    {0x00E8, 0x0065}, /* è -> e */
    {0x00E9, 0x0065}, /* é -> e */
    {0x00EA, 0x0065}, /* ê -> e */
    {0x00EB, 0x0065}, /* ë -> e */
    {0x00EC, 0x0069}, /* ì -> i */
    {0x00ED, 0x0069}, /* í -> i */
    {0x00EE, 0x0069}, /* î -> i */
    {0x00EF, 0x0069}, /* ï -> i */
    {0x00F1, 0x006E}, /* ñ -> n */
    {0x00F2, 0x006F}, /* ò -> o */
    {0x00F3, 0x006F}, /* ó -> o */
    {0x00F4, 0x006F}, /* ô -> o */
    {0x00F5, 0x006F}, /* õ -> o */
    {0x00F6, 0x006F}, /* ö -> o */
    {0x00F8, 0x006F}, /* ø -> o */
    {0x00F9, 0x0075}, /* ù -> u */
    {0x00FA, 0x0075}, /* ú -> u */
    {0x00FB, 0x0075}, /* û -> u */
    {0x00FC, 0x0075}, /* ü -> u */
    {0x00FD, 0x0079}, /* ý -> y */
    {0x00FF, 0x0079}, /* ÿ -> y */
    {0x0100, 0x0061}, /* Ā -> a */
    {0x0101, 0x0061}, /* ā -> a */
    {0x0102, 0x0061}, /* Ă -> a */
    {0x0103, 0x0061}, /* ă -> a */
    {0x0104, 0x0061}, /* Ą -> a */
    {0x0105, 0x0061}, /* ą -> a */
    {0x0106, 0x0063}, /* Ć -> c */
    {0x0107, 0x0063}, /* ć -> c */
    {0x0108, 0x0063}, /* Ĉ -> c */
    {0x0109, 0x0063}, /* ĉ -> c */
    {0x010A, 0x0063}, /* Ċ -> c */
    {0x010B, 0x0063}, /* ċ -> c */
    {0x010C, 0x0063}, /* Č -> c */
    {0x010D, 0x0063}, /* č -> c */
    {0x010E, 0x0064}, /* Ď -> d */
    {0x010F, 0x0064}, /* ď -> d */
    {0x0110, 0x0064}, /* Đ -> d */
    {0x0111, 0x0064}, /* đ -> d */
    {0x0112, 0x0065}, /* Ē -> e */
    {0x0113, 0x0065}, /* ē -> e */
    {0x0114, 0x0065}, /* Ĕ -> e */
    {0x0115, 0x0065}, /* ĕ -> e */
    {0x0116, 0x0065}, /* Ė -> e */
    {0x0117, 0x0065}, /* ė -> e */
    {0x0118, 0x0065}, /* Ę -> e */
    {0x0119, 0x0065}, /* ę -> e */
    {0x011A, 0x0065}, /* Ě -> e */
    {0x011B, 0x0065}, /* ě -> e */
    {0x011C, 0x0067}, /* Ĝ -> g */
    {0x011D, 0x0067}, /* ĝ -> g */
    {0x011E, 0x0067}, /* Ğ -> g */
    {0x011F, 0x0067}, /* ğ -> g */
    {0x0120, 0x0067}, /* Ġ -> g */
    {0x0121, 0x0067}, /* ġ -> g */
    {0x0122, 0x0067}, /* Ģ -> g */
    {0x0123, 0x0067}, /* ģ -> g */
    {0x0124, 0x0068}, /* Ĥ -> h */
    {0x0125, 0x0068}, /* ĥ -> h */
    {0x0126, 0x0068}, /* Ħ -> h */
    {0x0127, 0x0068}, /* ħ -> h */
    {0x0128, 0x0069}, /* Ĩ -> i */
    {0x0129, 0x0069}, /* ĩ -> i */
    {0x012A, 0x0069}, /* Ī -> i */
    {0x012B, 0x0069}, /* ī -> i */
    {0x012C, 0x0069}, /* Ĭ -> i */
    {0x012D, 0x0069}, /* ĭ -> i */
    {0x012E, 0x0069}, /* Į -> i */
    {0x012F, 0x0069}, /* į -> i */
    {0x0130, 0x0069}, /* İ -> i */
    {0x0131, 0x0069}, /* ı -> i */
    {0x0132, 0x0133}, /* Ĳ -> ĳ */
    {0x0134, 0x006A}, /* Ĵ -> j */
    {0x0135, 0x006A}, /* ĵ -> j */
    {0x0136, 0x006B}, /* Ķ -> k */
    {0x0137, 0x006B}, /* ķ -> k */
    {0x0139, 0x006C}, /* Ĺ -> l */
    {0x013A, 0x006C}, /* ĺ -> l */
    {0x013B, 0x006C}, /* Ļ -> l */
    {0x013C, 0x006C}, /* ļ -> l */
    {0x013D, 0x006C}, /* Ľ -> l */
    {0x013E, 0x006C}, /* ľ -> l */
    {0x013F, 0x006C}, /* Ŀ -> l */
    {0x0140, 0x006C}, /* ŀ -> l */
    {0x0141, 0x006C}, /* Ł -> l */
    {0x0142, 0x006C}, /* ł -> l */
    {0x0143, 0x006E}, /* Ń -> n */
    {0x0144, 0x006E}, /* ń -> n */
    {0x0145, 0x006E}, /* Ņ -> n */
    {0x0146, 0x006E}, /* ņ -> n */
    {0x0147, 0x006E}, /* Ň -> n */
    {0x0148, 0x006E}, /* ň -> n */
    {0x0149, 0x006E}, /* ŉ -> n */
    {0x014A, 0x014B}, /* Ŋ -> ŋ */
    {0x014C, 0x006F}, /* Ō -> o */
    {0x014D, 0x006F}, /* ō -> o */
    {0x014E, 0x006F}, /* Ŏ -> o */
    {0x014F, 0x006F}, /* ŏ -> o */
    {0x0150, 0x006F}, /* Ő -> o */
    {0x0151, 0x006F}, /* ő -> o */
    {0x0152, 0x0153}, /* Œ -> œ */
    {0x0154, 0x0072}, /* Ŕ -> r */
    {0x0155, 0x0072}, /* ŕ -> r */
    {0x0156, 0x0072}, /* Ŗ -> r */
    {0x0157, 0x0072}, /* ŗ -> r */
    {0x0158, 0x0072}, /* Ř -> r */
    {0x0159, 0x0072}, /* ř -> r */
    {0x015A, 0x0073}, /* Ś -> s */
    {0x015B, 0x0073}, /* ś -> s */
    {0x015C, 0x0073}, /* Ŝ -> s */
    {0x015D, 0x0073}, /* ŝ -> s */
    {0x015E, 0x0073}, /* Ş -> s */
    {0x015F, 0x0073}, /* ş -> s */
    {0x0160, 0x0073}, /* Š -> s */
    {0x0161, 0x0073}, /* š -> s */
    {0x0162, 0x0074}, /* Ţ -> t */
    {0x0163, 0x0074}, /* ţ -> t */
    {0x0164, 0x0074}, /* Ť -> t */
    {0x0165, 0x0074}, /* ť -> t */
    {0x0166, 0x0074}, /* Ŧ -> t */
    {0x0167, 0x0074}, /* ŧ -> t */
    {0x0168, 0x0075}, /* Ũ -> u */
    {0x0169, 0x0075}, /* ũ -> u */
    {0x016A, 0x0075}, /* Ū -> u */
    {0x016B, 0x0075}, /* ū -> u */
    {0x016C, 0x0075}, /* Ŭ -> u */
    {0x016D, 0x0075}, /* ŭ -> u */
    {0x016E, 0x0075}, /* Ů -> u */
    {0x016F, 0x0075}, /* ů -> u */
    {0x0170, 0x0075}, /* Ű -> u */
    {0x0171, 0x0075}, /* ű -> u */
    {0x0172, 0x0075}, /* Ų -> u */
    {0x0173, 0x0075}, /* ų -> u */
    {0x0174, 0x0077}, /* Ŵ -> w */
    {0x0175, 0x0077}, /* ŵ -> w */
    {0x0176, 0x0079}, /* Ŷ -> y */
    {0x0177, 0x0079}, /* ŷ -> y */
    {0x0178, 0x0079}, /* Ÿ -> y */
    {0x0179, 0x007A}, /* Ź -> z */
    {0x017A, 0x007A}, /* ź -> z */
    {0x017B, 0x007A}, /* Ż -> z */
    {0x017C, 0x007A}, /* ż -> z */
    {0x017D, 0x007A}, /* Ž -> z */
    {0x017E, 0x007A}, /* ž -> z */
    {0x017F, 0x0073}, /* ſ -> s */
    {0x0300, 0x0000}, /* U+0300 -> dropped */
    {0x0301, 0x0000}, /* U+0301 -> dropped */
    {0x0302, 0x0000}, /* U+0302 -> dropped */
    {0x0303, 0x0000}, /* U+0303 -> dropped */
    {0x0304, 0x0000}, /* U+0304 -> dropped */
    {0x0305, 0x0000}, /* U+0305 -> dropped */
    {0x0306, 0x0000}, /* U+0306 -> dropped */
    {0x0307, 0x0000}, /* U+0307 -> dropped */
    {0x0308, 0x0000}, /* U+0308 -> dropped */
    {0x0309, 0x0000}, /* U+0309 -> dropped */
    {0x030A, 0x0000}, /* U+030A -> dropped */
    {0x030B, 0x0000}, /* U+030B -> dropped */
    {0x030C, 0x0000}, /* U+030C -> dropped */
    {0x030D, 0x0000}, /* U+030D -> dropped */
    {0x030E, 0x0000}, /* U+030E -> dropped */
    {0x030F, 0x0000}, /* U+030F -> dropped */
    {0x0310, 0x0000}, /* U+0310 -> dropped */
    {0x0311, 0x0000}, /* U+0311 -> dropped */
    {0x0312, 0x0000}, /* U+0312 -> dropped */
    {0x0313, 0x0000}, /* U+0313 -> dropped */
    {0x0314, 0x0000}, /* U+0314 -> dropped */
    {0x0315, 0x0000}, /* U+0315 -> dropped */
    {0x0316, 0x0000}, /* U+0316 -> dropped */
    {0x0317, 0x0000}, /* U+0317 -> dropped */
    {0x0318, 0x0000}, /* U+0318 -> dropped */
    {0x0319, 0x0000}, /* U+0319 -> dropped */
    {0x031A, 0x0000}, /* U+031A -> dropped */
    {0x031B, 0x0000}, /* U+031B -> dropped */
    {0x031C, 0x0000}, /* U+031C -> dropped */
    {0x031D, 0x0000}, /* U+031D -> dropped */
    {0x031E, 0x0000}, /* U+031E -> dropped */
    {0x031F, 0x0000}, /* U+031F -> dropped */
    {0x0320, 0x0000}, /* U+0320 -> dropped */
    {0x0321, 0x0000}, /* U+0321 -> dropped */
    {0x0322, 0x0000}, /* U+0322 -> dropped */
    {0x0323, 0x0000}, /* U+0323 -> dropped */
    {0x0324, 0x0000}, /* U+0324 -> dropped */
    {0x0325, 0x0000}, /* U+0325 -> dropped */
    {0x0326, 0x0000}, /* U+0326 -> dropped */
    {0x0327, 0x0000}, /* U+0327 -> dropped */
    {0x0328, 0x0000}, /* U+0328 -> dropped */
    {0x0329, 0x0000}, /* U+0329 -> dropped */
    {0x032A, 0x0000}, /* U+032A -> dropped */
    {0x032B, 0x0000}, /* U+032B -> dropped */
    {0x032C, 0x0000}, /* U+032C -> dropped */
    {0x032D, 0x0000}, /* U+032D -> dropped */
    {0x032E, 0x0000}, /* U+032E -> dropped */
    {0x032F, 0x0000}, /* U+032F -> dropped */
    {0x0330, 0x0000}, /* U+0330 -> dropped */
    {0x0331, 0x0000}, /* U+0331 -> dropped */
    {0x0332, 0x0000}, /* U+0332 -> dropped */
    {0x0333, 0x0000}, /* U+0333 -> dropped */
    {0x0334, 0x0000}, /* U+0334 -> dropped */
    {0x0335, 0x0000}, /* U+0335 -> dropped */
    {0x0336, 0x0000}, /* U+0336 -> dropped */
    {0x0337, 0x0000}, /* U+0337 -> dropped */
    {0x0338, 0x0000}, /* U+0338 -> dropped */
    {0x0339, 0x0000}, /* U+0339 -> dropped */
    {0x033A, 0x0000}, /* U+033A -> dropped */
    {0x033B, 0x0000}, /* U+033B -> dropped */
    {0x033C, 0x0000}, /* U+033C -> dropped */
    {0x033D, 0x0000}, /* U+033D -> dropped */
    {0x033E, 0x0000}, /* U+033E -> dropped */
    {0x033F, 0x0000}, /* U+033F -> dropped */
    {0x0340, 0x0000}, /* U+0340 -> dropped */
    {0x0341, 0x0000}, /* U+0341 -> dropped */
    {0x0342, 0x0000}, /* U+0342 -> dropped */
    {0x0343, 0x0000}, /* U+0343 -> dropped */
    {0x0344, 0x0000}, /* U+0344 -> dropped */
    {0x0345, 0x0000}, /* U+0345 -> dropped */
    {0x0346, 0x0000}, /* U+0346 -> dropped */
    {0x0347, 0x0000}, /* U+0347 -> dropped */
    {0x0348, 0x0000}, /* U+0348 -> dropped */
    {0x0349, 0x0000}, /* U+0349 -> dropped */
    {0x034A, 0x0000}, /* U+034A -> dropped */
    {0x034B, 0x0000}, /* U+034B -> dropped */
    {0x034C, 0x0000}, /* U+034C -> dropped */
    {0x034D, 0x0000}, /* U+034D -> dropped */
    {0x034E, 0x0000}, /* U+034E -> dropped */
    {0x034F, 0x0000}, /* U+034F -> dropped */
    {0x0350, 0x0000}, /* U+0350 -> dropped */
    {0x0351, 0x0000}, /* U+0351 -> dropped */
    {0x0352, 0x0000}, /* U+0352 -> dropped */
    {0x0353, 0x0000}, /* U+0353 -> dropped */
    {0x0354, 0x0000}, /* U+0354 -> dropped */
    {0x0355, 0x0000}, /* U+0355 -> dropped */
    {0x0356, 0x0000}, /* U+0356 -> dropped */
    {0x0357, 0x0000}, /* U+0357 -> dropped */
    {0x0358, 0x0000}, /* U+0358 -> dropped */
    {0x0359, 0x0000}, /* U+0359 -> dropped */
    {0x035A, 0x0000}, /* U+035A -> dropped */
    {0x035B, 0x0000}, /* U+035B -> dropped */
    {0x035C, 0x0000}, /* U+035C -> dropped */
    {0x035D, 0x0000}, /* U+035D -> dropped */
    {0x035E, 0x0000}, /* U+035E -> dropped */
    {0x035F, 0x0000}, /* U+035F -> dropped */
    {0x0360, 0x0000}, /* U+0360 -> dropped */
    {0x0361, 0x0000}, /* U+0361 -> dropped */
    {0x0362, 0x0000}, /* U+0362 -> dropped */
    {0x0363, 0x0000}, /* U+0363 -> dropped */
    {0x0364, 0x0000}, /* U+0364 -> dropped */
    {0x0365, 0x0000}, /* U+0365 -> dropped */
    {0x0366, 0x0000}, /* U+0366 -> dropped */
    {0x0367, 0x0000}, /* U+0367 -> dropped */
    {0x0368, 0x0000}, /* U+0368 -> dropped */
    {0x0369, 0x0000}, /* U+0369 -> dropped */
    {0x036A, 0x0000}, /* U+036A -> dropped */
    {0x036B, 0x0000}, /* U+036B -> dropped */
    {0x036C, 0x0000}, /* U+036C -> dropped */
    {0x036D, 0x0000}, /* U+036D -> dropped */
    {0x036E, 0x0000}, /* U+036E -> dropped */
    {0x036F, 0x0000}, /* U+036F -> dropped */
    {0x0370, 0x0371}, /* Ͱ -> ͱ */
    {0x0372, 0x0373}, /* Ͳ -> ͳ */
    {0x0374, 0x02B9}, /* ʹ -> ʹ */
    {0x0376, 0x0377}, /* Ͷ -> ͷ */
    {0x037F, 0x03F3}, /* Ϳ -> ϳ */
    {0x0386, 0x03B1}, /* Ά -> α */
    {0x0388, 0x03B5}, /* Έ -> ε */
    {0x0389, 0x03B7}, /* Ή -> η */
    {0x038A, 0x03B9}, /* Ί -> ι */
    {0x038C, 0x03BF}, /* Ό -> ο */
    {0x038E, 0x03C5}, /* Ύ -> υ */
    {0x038F, 0x03C9}, /* Ώ -> ω */
    {0x0390, 0x03B9}, /* ΐ -> ι */
    {0x0391, 0x03B1}, /* Α -> α */
    {0x0392, 0x03B2}, /* Β -> β */
    {0x0393, 0x03B3}, /* Γ -> γ */
    {0x0394, 0x03B4}, /* Δ -> δ */
    {0x0395, 0x03B5}, /* Ε -> ε */
    {0x0396, 0x03B6}, /* Ζ -> ζ */
    {0x0397, 0x03B7}, /* Η -> η */
    {0x0398, 0x03B8}, /* Θ -> θ */
    {0x0399, 0x03B9}, /* Ι -> ι */
    {0x039A, 0x03BA}, /* Κ -> κ */
    {0x039B, 0x03BB}, /* Λ -> λ */
    {0x039C, 0x03BC}, /* Μ -> μ */
    {0x039D, 0x03BD}, /* Ν -> ν */
    {0x039E, 0x03BE}, /* Ξ -> ξ */
    {0x039F, 0x03BF}, /* Ο -> ο */
    {0x03A0, 0x03C0}, /* Π -> π */
    {0x03A1, 0x03C1}, /* Ρ -> ρ */
    {0x03A3, 0x03C3}, /* Σ -> σ */
    {0x03A4, 0x03C4}, /* Τ -> τ */
    {0x03A5, 0x03C5}, /* Υ -> υ */
    {0x03A6, 0x03C6}, /* Φ -> φ */
    {0x03A7, 0x03C7}, /* Χ -> χ */
    {0x03A8, 0x03C8}, /* Ψ -> ψ */
    {0x03A9, 0x03C9}, /* Ω -> ω */
    {0x03AA, 0x03B9}, /* Ϊ -> ι */
    {0x03AB, 0x03C5}, /* Ϋ -> υ */
    {0x03AC, 0x03B1}, /* ά -> α */
    {0x03AD, 0x03B5}, /* έ -> ε */
    {0x03AE, 0x03B7}, /* ή -> η */
    {0x03AF, 0x03B9}, /* ί -> ι */
    {0x03B0, 0x03C5}, /* ΰ -> υ */
    {0x03C2, 0x03C3}, /* ς -> σ */
    {0x03CA, 0x03B9}, /* ϊ -> ι */
    {0x03CB, 0x03C5}, /* ϋ -> υ */
    {0x03CC, 0x03BF}, /* ό -> ο */
    {0x03CD, 0x03C5}, /* ύ -> υ */
    {0x03CE, 0x03C9}, /* ώ -> ω */
    {0x03CF, 0x03D7}, /* Ϗ -> ϗ */
    {0x03D3, 0x03D2}, /* ϓ -> ϒ */
    {0x03D4, 0x03D2}, /* ϔ -> ϒ */
    {0x03D8, 0x03D9}, /* Ϙ -> ϙ */
    {0x03DA, 0x03DB}, /* Ϛ -> ϛ */
    {0x03DC, 0x03DD}, /* Ϝ -> ϝ */
    {0x03DE, 0x03DF}, /* Ϟ -> ϟ */
    {0x03E0, 0x03E1}, /* Ϡ -> ϡ */
    {0x03E2, 0x03E3}, /* Ϣ -> ϣ */
    {0x03E4, 0x03E5}, /* Ϥ -> ϥ */
    {0x03E6, 0x03E7}, /* Ϧ -> ϧ */
    {0x03E8, 0x03E9}, /* Ϩ -> ϩ */
    {0x03EA, 0x03EB}, /* Ϫ -> ϫ */
    {0x03EC, 0x03ED}, /* Ϭ -> ϭ */
    {0x03EE, 0x03EF}, /* Ϯ -> ϯ */
    {0x03F4, 0x03B8}, /* ϴ -> θ */
    {0x03F7, 0x03F8}, /* Ϸ -> ϸ */
    {0x03F9, 0x03F2}, /* Ϲ -> ϲ */
    {0x03FA, 0x03FB}, /* Ϻ -> ϻ */
    {0x03FD, 0x037B}, /* Ͻ -> ͻ */
    {0x03FE, 0x037C}, /* Ͼ -> ͼ */
    {0x03FF, 0x037D}, /* Ͽ -> ͽ */
    {0x0400, 0x0450}, /* Ѐ -> ѐ */
    {0x0401, 0x0435}, /* Ё -> е */
    {0x0402, 0x0452}, /* Ђ -> ђ */
    {0x0403, 0x0453}, /* Ѓ -> ѓ */
    {0x0404, 0x0454}, /* Є -> є */
    {0x0405, 0x0455}, /* Ѕ -> ѕ */
    {0x0406, 0x0456}, /* І -> і */
    {0x0407, 0x0457}, /* Ї -> ї */
    {0x0408, 0x0458}, /* Ј -> ј */
    {0x0409, 0x0459}, /* Љ -> љ */
    {0x040A, 0x045A}, /* Њ -> њ */
    {0x040B, 0x045B}, /* Ћ -> ћ */
    {0x040C, 0x045C}, /* Ќ -> ќ */
    {0x040D, 0x045D}, /* Ѝ -> ѝ */
    {0x040E, 0x045E}, /* Ў -> ў */
    {0x040F, 0x045F}, /* Џ -> џ */
    {0x0410, 0x0430}, /* А -> а */
    {0x0411, 0x0431}, /* Б -> б */
    {0x0412, 0x0432}, /* В -> в */
    {0x0413, 0x0433}, /* Г -> г */
    {0x0414, 0x0434}, /* Д -> д */
    {0x0415, 0x0435}, /* Е -> е */
    {0x0416, 0x0436}, /* Ж -> ж */
    {0x0417, 0x0437}, /* З -> з */
    {0x0418, 0x0438}, /* И -> и */
    {0x0419, 0x0439}, /* Й -> й */
    {0x041A, 0x043A}, /* К -> к */
    {0x041B, 0x043B}, /* Л -> л */
    {0x041C, 0x043C}, /* М -> м */
    {0x041D, 0x043D}, /* Н -> н */
    {0x041E, 0x043E}, /* О -> о */
    {0x041F, 0x043F}, /* П -> п */
    {0x0420, 0x0440}, /* Р -> р */
    {0x0421, 0x0441}, /* С -> с */
    {0x0422, 0x0442}, /* Т -> т */
    {0x0423, 0x0443}, /* У -> у */
    {0x0424, 0x0444}, /* Ф -> ф */
    {0x0425, 0x0445}, /* Х -> х */
    {0x0426, 0x0446}, /* Ц -> ц */
    {0x0427, 0x0447}, /* Ч -> ч */
    {0x0428, 0x0448}, /* Ш -> ш */
    {0x0429, 0x0449}, /* Щ -> щ */
    {0x042A, 0x044A}, /* Ъ -> ъ */
    {0x042B, 0x044B}, /* Ы -> ы */
    {0x042C, 0x044C}, /* Ь -> ь */
    {0x042D, 0x044D}, /* Э -> э */
    {0x042E, 0x044E}, /* Ю -> ю */
    {0x042F, 0x044F}, /* Я -> я */
    {0x0451, 0x0435}, /* ё -> е */
    {0x0460, 0x0461}, /* Ѡ -> ѡ */
    {0x0462, 0x0463}, /* Ѣ -> ѣ */
    {0x0464, 0x0465}, /* Ѥ -> ѥ */
    {0x0466, 0x0467}, /* Ѧ -> ѧ */
    {0x0468, 0x0469}, /* Ѩ -> ѩ */
    {0x046A, 0x046B}, /* Ѫ -> ѫ */
    {0x046C, 0x046D}, /* Ѭ -> ѭ */
    {0x046E, 0x046F}, /* Ѯ -> ѯ */
    {0x0470, 0x0471}, /* Ѱ -> ѱ */
    {0x0472, 0x0473}, /* Ѳ -> ѳ */
    {0x0474, 0x0475}, /* Ѵ -> ѵ */
    {0x0476, 0x0477}, /* Ѷ -> ѷ */
    {0x0478, 0x0479}, /* Ѹ -> ѹ */
    {0x047A, 0x047B}, /* Ѻ -> ѻ */
    {0x047C, 0x047D}, /* Ѽ -> ѽ */
    {0x047E, 0x047F}, /* Ѿ -> ѿ */
    {0x0480, 0x0481}, /* Ҁ -> ҁ */
    {0x048A, 0x048B}, /* Ҋ -> ҋ */
    {0x048C, 0x048D}, /* Ҍ -> ҍ */
    {0x048E, 0x048F}, /* Ҏ -> ҏ */
    {0x0490, 0x0491}, /* Ґ -> ґ */
    {0x0492, 0x0493}, /* Ғ -> ғ */
    {0x0494, 0x0495}, /* Ҕ -> ҕ */
    {0x0496, 0x0497}, /* Җ -> җ */
    {0x0498, 0x0499}, /* Ҙ -> ҙ */
    {0x049A, 0x049B}, /* Қ -> қ */
    {0x049C, 0x049D}, /* Ҝ -> ҝ */
    {0x049E, 0x049F}, /* Ҟ -> ҟ */
    {0x04A0, 0x04A1}, /* Ҡ -> ҡ */
    {0x04A2, 0x04A3}, /* Ң -> ң */
    {0x04A4, 0x04A5}, /* Ҥ -> ҥ */
    {0x04A6, 0x04A7}, /* Ҧ -> ҧ */
    {0x04A8, 0x04A9}, /* Ҩ -> ҩ */
    {0x04AA, 0x04AB}, /* Ҫ -> ҫ */
    {0x04AC, 0x04AD}, /* Ҭ -> ҭ */
    {0x04AE, 0x04AF}, /* Ү -> ү */
    {0x04B0, 0x04B1}, /* Ұ -> ұ */
    {0x04B2, 0x04B3}, /* Ҳ -> ҳ */
    {0x04B4, 0x04B5}, /* Ҵ -> ҵ */
    {0x04B6, 0x04B7}, /* Ҷ -> ҷ */
    {0x04B8, 0x04B9}, /* Ҹ -> ҹ */
    {0x04BA, 0x04BB}, /* Һ -> һ */
    {0x04BC, 0x04BD}, /* Ҽ -> ҽ */
    {0x04BE, 0x04BF}, /* Ҿ -> ҿ */
    {0x04C0, 0x04CF}, /* Ӏ -> ӏ */
    {0x04C1, 0x04C2}, /* Ӂ -> ӂ */
    {0x04C3, 0x04C4}, /* Ӄ -> ӄ */
    {0x04C5, 0x04C6}, /* Ӆ -> ӆ */
    {0x04C7, 0x04C8}, /* Ӈ -> ӈ */
    {0x04C9, 0x04CA}, /* Ӊ -> ӊ */
    {0x04CB, 0x04CC}, /* Ӌ -> ӌ */
    {0x04CD, 0x04CE}, /* Ӎ -> ӎ */
    {0x04D0, 0x04D1}, /* Ӑ -> ӑ */
    {0x04D2, 0x04D3}, /* Ӓ -> ӓ */
    {0x04D4, 0x04D5}, /* Ӕ -> ӕ */
    {0x04D6, 0x04D7}, /* Ӗ -> ӗ */
    {0x04D8, 0x04D9}, /* Ә -> ә */
    {0x04DA, 0x04DB}, /* Ӛ -> ӛ */
    {0x04DC, 0x04DD}, /* Ӝ -> ӝ */
    {0x04DE, 0x04DF}, /* Ӟ -> ӟ */
    {0x04E0, 0x04E1}, /* Ӡ -> ӡ */
    {0x04E2, 0x04E3}, /* Ӣ -> ӣ */
    {0x04E4, 0x04E5}, /* Ӥ -> ӥ */
    {0x04E6, 0x04E7}, /* Ӧ -> ӧ */
    {0x04E8, 0x04E9}, /* Ө -> ө */
    {0x04EA, 0x04EB}, /* Ӫ -> ӫ */
    {0x04EC, 0x04ED}, /* Ӭ -> ӭ */
    {0x04EE, 0x04EF}, /* Ӯ -> ӯ */
    {0x04F0, 0x04F1}, /* Ӱ -> ӱ */
    {0x04F2, 0x04F3}, /* Ӳ -> ӳ */
    {0x04F4, 0x04F5}, /* Ӵ -> ӵ */
    {0x04F6, 0x04F7}, /* Ӷ -> ӷ */
    {0x04F8, 0x04F9}, /* Ӹ -> ӹ */
    {0x04FA, 0x04FB}, /* Ӻ -> ӻ */
    {0x04FC, 0x04FD}, /* Ӽ -> ӽ */
    {0x04FE, 0x04FF}, /* Ӿ -> ӿ */
};

const size_t svd_fold_table_len = sizeof(svd_fold_table) / sizeof(svd_fold_table[0]);

/* The table spread out over U+0000..U+04FF, for a lookup per code point. */
static uint16_t fold_fast[0x500];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
	size_t i;

	for (i = 0; i < 0x500; i++)
		fold_fast[i] = (uint16_t)i;
	for (i = 0; i < svd_fold_table_len; i++)
		fold_fast[svd_fold_table[i].from] = svd_fold_table[i].to;
}

uint32_t svd_fold_cp(uint32_t cp)
{
	if (cp < 0x41 || cp > 0x4FF)
		return cp;
	pthread_once(&fold_once, fold_init);
	return fold_fast[cp];
}

int svd_fold(svd_buf *out, const char *s, size_t len)
{
	size_t i = 0, used;

	while (i < len && !out->error) {
		char enc[4];
		uint32_t cp;

		if ((unsigned char)s[i] < 0x80) {
			/* a run of ASCII at once: only A-Z change */
			size_t j = i;
			while (j < len && (unsigned char)s[j] < 0x80 &&
			       !((unsigned char)s[j] >= 'A' && (unsigned char)s[j] <= 'Z'))
				j++;
			if (j > i) {
				svd_buf_put(out, s + i, j - i);
				i = j;
				continue;
			}
		}
		cp = svd_fold_cp(svd_utf8_next(s + i, len - i, &used));
		i += used;
		if (cp)
			svd_buf_put(out, enc, svd_utf8_put(enc, cp));
	}
	return out->error;
}

/* A letter or digit for tokens (SPEC.md, 11.4). */
static int token_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F))
		return 0;
	return 1;
}

int svd_tokens(const char *s, size_t len, svd_token_cb cb, void *payload)
{
	const unsigned char *p = (const unsigned char *)s;
	char tok[SVD_TOKEN_MAX * 4 + 4];
	size_t i = 0, used, tlen = 0, ncp = 0;
	int over = 0, r;

	pthread_once(&fold_once, fold_init);
	for (;;) {
		uint32_t cp = 0;
		int is_tok = 0;

		if (i < len) {
			if (p[i] < 0x80) {
				cp = p[i++];
			} else {
				cp = svd_utf8_next(s + i, len - i, &used);
				i += used;
			}
			is_tok = token_cp(cp);
		}
		if (is_tok) {
			uint32_t f = cp < 0x41 || cp > 0x4FF ? cp : fold_fast[cp];
			if (f && !over) {
				if (ncp == SVD_TOKEN_MAX) {
					over = 1;
				} else if (f < 0x80) {
					tok[tlen++] = (char)f;
					ncp++;
				} else {
					tlen += svd_utf8_put(tok + tlen, f);
					ncp++;
				}
			}
			continue;
		}
		/* the end of a run */
		if (!over && ncp >= SVD_TOKEN_MIN && (r = cb(tok, tlen, payload)) != 0)
			return r;
		tlen = ncp = 0;
		over = 0;
		if (i >= len)
			return 0;
	}
}

unsigned svd_search_shard(const char *token, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i = 0, used, k;

	for (k = 0; k < 2 && i < len; k++) {
		size_t j;
		svd_utf8_next(token + i, len - i, &used);
		for (j = 0; j < used; j++) {
			h ^= (unsigned char)token[i + j];
			h *= 16777619u;
		}
		i += used;
	}
	return h % SVD_SEARCH_SHARDS;
}

/* A JavaScript string of one code point, ASCII only (\uXXXX for the rest). */
static void js_char(svd_buf *b, uint32_t cp)
{
	if (cp == 0)
		return;
	if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') {
		char c = (char)cp;
		svd_buf_put(b, &c, 1);
		return;
	}
	if (cp >= 0x10000) {
		cp -= 0x10000;
		svd_buf_printf(b, "\\u%04X\\u%04X", (unsigned)(0xD800 + (cp >> 10)),
		               (unsigned)(0xDC00 + (cp & 0x3FF)));
		return;
	}
	svd_buf_printf(b, "\\u%04X", (unsigned)cp);
}

int svd_render_fold_js(svd_buf *out)
{
	size_t i;

	svd_buf_puts(out,
	             "/* samvydav reader: the search folding table (SPEC.md 11.3); generated */\n"
	             "svdFold({");
	for (i = 0; i < svd_fold_table_len; i++) {
		svd_buf_puts(out, i ? ",\n\"" : "\n\"");
		js_char(out, svd_fold_table[i].from);
		svd_buf_puts(out, "\":\"");
		js_char(out, svd_fold_table[i].to);
		svd_buf_puts(out, "\"");
	}
	svd_buf_puts(out, "\n});\n");
	return out->error;
}
