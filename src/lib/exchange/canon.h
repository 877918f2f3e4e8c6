/* The canonical encoding of JSON that every signature of halong covers (README.md of this
 * module), private to the library: the exchange and the modules that sign or check what they
 * publish with a node's key (the reference-data feed) share this one encoder. Other modules
 * include it as "exchange/canon.h". */
#ifndef HL_EXCHANGE_CANON_H
#define HL_EXCHANGE_CANON_H

#include <stddef.h>

#include <jansson.h>

/* The canonical encoding of a jansson value; *out malloc'd and NUL-terminated, *outlen its
 * length (may be NULL). HL_EINVALID for a non-integer number, invalid UTF-8, keys equal after
 * NFC or nesting deeper than HL_EXCHANGE_MAX_DEPTH. */
int hl_canon_encode(char **out, size_t *outlen, const json_t *v);
/* Parses JSON strictly (duplicate keys refused); NULL with HL_EINVALID set naming `what`. */
json_t *hl_canon_parse(const char *text, size_t len, const char *what);
/* jansson's error text quotes the bytes near the error as they came — half a character, or
 * bytes that are not UTF-8 at all — and it goes into a message that ends up in JSON error
 * bodies and in the refusals recorded: this makes it valid UTF-8 in place (each byte of a bad
 * sequence a '?'). Every message quoting e->text calls it first. */
void hl_canon_why(json_error_t *e);

#endif
