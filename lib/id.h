/*
 * Identifiers as Nomad shows them: random version-4 UUIDs in lowercase
 * 8-4-4-4-12 form, and their 8-character short form.
 */
#ifndef CARAVAN_LIB_ID_H
#define CARAVAN_LIB_ID_H

#include <stdbool.h>

#define ID_UUID_LEN 36
#define ID_SHORT_LEN 8

/* Writes a fresh UUID (libsodium randomness) and its NUL to out. */
void id_uuid(char out[ID_UUID_LEN + 1]);
bool id_is_uuid(const char *s);
/* The first 8 characters of uuid (fewer if it is shorter). */
void id_short(const char *uuid, char out[ID_SHORT_LEN + 1]);

#endif
