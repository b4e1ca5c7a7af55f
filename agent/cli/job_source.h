/*
 * Where `job run`, `job validate` and `job plan` read a job from: HCL
 * with -var/-var-file (and NOMAD_VAR_*), or API JSON with -json; "-" is
 * standard input.
 */
#ifndef CARAVAN_AGENT_CLI_JOB_SOURCE_H
#define CARAVAN_AGENT_CLI_JOB_SOURCE_H

#include <stdbool.h>

#include "agent/cli/flags.h"

struct err;
struct job;

struct job_source
{
    const char *address;
    const char *region;
    const char *namespace;
    const char *token;
    bool json;
    struct flag_list vars;
    struct flag_list var_files;
};

#define JOB_SOURCE_FLAGS(src)                                        \
    {"address", FLAG_STRING, &(src).address, "agent address"},       \
        {"region", FLAG_STRING, &(src).region, "region"},            \
        {"namespace", FLAG_STRING, &(src).namespace, "namespace"},   \
        {"token", FLAG_STRING, &(src).token, "ACL token"},           \
        {"json", FLAG_BOOL, &(src).json, "file is JSON"},            \
        {"var", FLAG_STRLIST, &(src).vars, "key=value"},             \
    {                                                                \
        "var-file", FLAG_STRLIST, &(src).var_files, "variables file" \
    }

/* Reads and parses the job at path into *out (heap, job_free()). */
int cli_job_load(const struct job_source *src,
                 const char *path,
                 struct job **out,
                 struct err *err);
void cli_job_source_release(struct job_source *src);

#endif
