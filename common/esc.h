/*
 * esc — untrusted text made safe to put on one line of a log, a summary,
 * a receipt or a terminal.
 *
 * File names, element text and registry names come from people bizenv
 * does not trust: a newline in a file name could forge a "nightly end: ok"
 * line in bizenv.log or the cron mail, an escape sequence could repaint a
 * terminal, a bidi control could reorder what a reader sees. Every such
 * character is written visibly instead:
 *   - C0 controls and DEL as \n, \t, \r or \xHH;
 *   - C1 controls (U+0080-U+009F), the line and paragraph separators
 *     (U+2028, U+2029) and the bidi controls (U+061C, U+200E-F,
 *     U+202A-E, U+2066-9) as <U+XXXX>;
 *   - bytes that are not UTF-8 (stray, overlong, surrogate, truncated) as
 *     \xHH.
 * Everything else, Chinese included, is kept as it is. This module never
 * prints.
 */
#ifndef BZ_ESC_H
#define BZ_ESC_H

#include "dbuf.h"

#include <stddef.h>

/* Appends str (NULL = nothing) escaped as above. Returns as dbuf_add. */
int esc_dbuf(struct dbuf *b, const char *str);

/*
 * Writes str (NULL = "") escaped as above into dst, cap bytes with the NUL;
 * what does not fit is dropped at a character or escape boundary. A
 * result of up to 4 × strlen(str) + 1 bytes always fits. Returns dst.
 * Cannot fail.
 */
char *esc_text(char *dst, size_t cap, const char *str);

/*
 * The entity or character reference that stands for c in XML (and HTML)
 * text and attribute values: & < > " always, tab, newline and carriage
 * return as &#9; &#10; &#13; (kept through attribute-value normalisation);
 * NULL for any other character. What a writer does with the other C0
 * controls, which XML 1.0 cannot carry at all, is its own choice.
 */
const char *esc_xml_ref(int c);

#endif
