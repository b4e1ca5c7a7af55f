/*
 * libFuzzer: any bytes as an `env = true` template's output; what parses
 * gives keys that are never empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/client/template_hook.h"
#include "lib/err.h"
#include "lib/model/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strmap env;
    struct err err = ERR_INIT;

    strmap_init(&env);
    if (template_hook_parse_env((const char *)data, size, &env, &err) == 0)
        for (size_t i = 0; i < env.n; i++)
            if (env.items[i].key[0] == '\0')
                abort();
    strmap_release(&env);
    return 0;
}
