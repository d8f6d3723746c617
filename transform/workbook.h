/*
 * workbook — a filled monthly workbook (填报表) to a validated submission:
 * the second reader of format 1, with the same rules as the first.
 *
 * The workbook's cells (read by xlsx.c) are turned into the canonical
 * format-1 document — one element per line, attributes in a fixed order,
 * text escaped so that no value spans lines — and that document goes
 * through transform_document like any XML the inbox receives: the XSD, the
 * fields and every rule of rules.c. Each line of the canonical document
 * remembers the sheet, row and column its values came from, so every
 * diagnostic is given back at its cell (工作表“走流程”第 7 行 C 列“窗口”)
 * instead of an XML line. What cannot even be written into the document
 * (a word in a count cell, a date that does not exist, an empty required
 * cell, a choice not in the list) is reported at its cell by this module,
 * and the rules' diagnostic about the same cell is then dropped.
 *
 * Identity: the SHA-256 of the canonical document is the submission's
 * document SHA-256, so a workbook saved again with the same content (new
 * bytes, same cells) is a duplicate, and the revision rules compare
 * content. Only workbooks carrying the hidden `bizenv` sheet of a known
 * template version are read (wblayout.h); any other .xlsx is
 * E_WB_NOT_TEMPLATE.
 *
 * Never prints, never touches the disk or the database.
 */
#ifndef BZ_WORKBOOK_H
#define BZ_WORKBOOK_H

#include "../common/dbuf.h"
#include "../common/diag.h"
#include "../common/error.h"
#include "../common/settings.h"
#include "submission.h"
#include "transform.h"

#include <stddef.h>

/* The largest canonical document one workbook may become: what
 * max_xml_bytes allows an XML submission. */

/*
 * Reads the workbook in data (len bytes, the .xlsx as sent) into *out
 * (initialised by the caller with submission_init; its arena limit is set
 * here from the canonical document's size) and validates it. doc_sha256
 * receives the SHA-256 of the canonical document, or of the workbook bytes
 * when none could be made (the workbook was refused before its cells were
 * read). Returns 0 when the workbook was read to a verdict: diags then
 * holds every error and warning, each at its cell (line 0, the cell as
 * path), and out is usable for loading only when diags has no error.
 * Returns BZ_ENOMEM (or the registry lookup's failure) with e filled when
 * the check could not be completed for reasons that are not the file's.
 */
int workbook_transform(const unsigned char *data, size_t len, const struct settings *s,
                       const struct transform_ctx *ctx, struct submission *out,
                       struct diag_list *diags, char doc_sha256[65], struct bz_error *e);

/*
 * The cell a format-1 path names when the document came from a workbook,
 * for diagnostics found after the reading (the revision rules, the
 * problem ledger): "/submission/revision" is 工作表“基本情况”第 5 行 B 列
 * “版本号”. Writes it into buf and returns 1, or returns 0 when the path
 * has no one cell (buf is then untouched).
 */
int workbook_cell_of_path(const char *xml_path, char *buf, size_t cap);

#endif
