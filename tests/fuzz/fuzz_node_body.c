/*
 * libFuzzer: any bytes as the body of a node eligibility or drain request
 * (POST /v1/node/:id/...). Either it parses or it fails with a message;
 * nothing else. The parser is compiled in here, as the fuzz build links
 * only lib/ (see `make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/http/node_body.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct node_eligibility_body e;
    struct node_drain_body d;

    if (node_eligibility_body_parse((const char *)data, size, &e, &err) == 0)
        node_eligibility_body_release(&e);
    else if (err.msg[0] == '\0')
        abort();
    err_clear(&err);
    if (node_drain_body_parse((const char *)data, size, &d, &err) == 0)
        node_drain_body_release(&d);
    else if (err.msg[0] == '\0')
        abort();
    return 0;
}
