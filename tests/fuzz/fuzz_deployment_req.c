/* libFuzzer: any bytes as the body of a deployment promote/pause/fail. */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/model/deployment_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct deployment_req r;

    deployment_req_init(&r);
    if (deployment_req_decode_json((const char *)data, size, &r, &err) == 0)
        deployment_req_release(&r);
    return 0;
}
