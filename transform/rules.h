/*
 * rules — the rules of submission-format.md that relate values to each
 * other or to the outside (registry, today): every one is checked, none
 * stops the others. Runs after the whole document was read.
 */
#ifndef BZ_RULES_H
#define BZ_RULES_H

#include "doc.h"

/* Checks every rule, adding diagnostics to d. Returns 0, or the township
 * lookup's negative value, or BZ_ENOMEM. */
int rules_check(struct doc *d);

#endif
