/* UUIDs (see id.h). */
#include "lib/id.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void id_uuid(char out[ID_UUID_LEN + 1])
{
    unsigned char b[16];

    /* Idempotent; callers need not have initialised libsodium. */
    if (sodium_init() < 0)
        abort();
    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, ID_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool id_is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != ID_UUID_LEN)
        return false;
    for (int i = 0; i < ID_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

void id_short(const char *uuid, char out[ID_SHORT_LEN + 1])
{
    size_t n = strnlen(uuid, ID_SHORT_LEN);

    memcpy(out, uuid, n);
    out[n] = '\0';
}
