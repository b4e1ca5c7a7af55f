/*
 * Boolean filter expressions as Nomad's `?filter=` takes them (the
 * go-bexpr grammar), evaluated against the JSON of one list item:
 *
 *   Status == "running" and Meta.team != "ops"
 *   "web" in Tags or not (Name matches "^batch-")
 *   Meta["key with space"] is not empty
 *
 * Parse once, match against each item. Pure: no I/O.
 *
 * Beyond go-bexpr: <, <=, >, >= (numbers, or strings byte-wise). Short
 * of it: JSON-pointer selectors ("/a/b") and inline lists (["a", "b"]);
 * `matches` takes POSIX extended regular expressions, without stacked
 * repetition or back references.
 */
#ifndef CARAVAN_LIB_BEXPR_H
#define CARAVAN_LIB_BEXPR_H

#include <stdbool.h>
#include <jansson.h>

struct err;
struct bexpr;

/* Longest expression text accepted, in bytes. */
#define BEXPR_MAX_LEN 4096
/* Deepest nesting of parentheses and `not`. */
#define BEXPR_MAX_DEPTH 32

/*
 * Parses text into *out (free with bexpr_free()). On failure returns
 * ERR_INVALID (ERR_TOO_BIG, ERR_TOO_DEEP past the limits) and err reads
 * "1:8 (7): no match found, expected: ..." with line:column (byte offset).
 */
int bexpr_parse(const char *text, struct bexpr **out, struct err *err);

/*
 * Whether doc satisfies b. A selector naming nothing in doc compares as
 * a missing value: ==, in, contains, matches are false, their negations
 * and `is empty` true.
 */
bool bexpr_match(const struct bexpr *b, const json_t *doc);

void bexpr_free(struct bexpr *b);

#endif
