/*
 * logmon: the process that writes one output stream of a task into rotated
 * files (lib/logfile.h), as Nomad's logmon does.
 *
 * The task writes into a pipe; a `caravan logmon` process reads the other
 * end. It runs in its own session, not as the agent's child, so it keeps
 * writing when the agent dies (kill -9) or restarts: a reattached task's
 * output goes on into the same files. It ends at EOF, that is once the
 * task and everything it started have closed the pipe.
 */
#ifndef CARAVAN_AGENT_CLIENT_LOGMON_H
#define CARAVAN_AGENT_CLIENT_LOGMON_H

#include <stdint.h>

struct err;

struct logmon_opts
{
    const char *dir;  /* alloc/logs, borrowed */
    const char *base; /* "<task>.stdout", borrowed */
    uint32_t max_files;
    uint64_t max_file_size_bytes;
};

/*
 * Starts a logmon process for o and returns the pipe's write end in
 * *write_fd (O_CLOEXEC; the caller hands it to the task and closes it).
 * Blocks only for the fork of a short-lived intermediate process.
 */
int logmon_spawn(const struct logmon_opts *o, int *write_fd, struct err *err);

/*
 * The helper's main: `caravan logmon <dir> <base> <max_files>
 * <max_file_size_bytes>`, copying stdin into the files until EOF. Returns
 * the process exit code; problems go to stderr.
 */
int logmon_main(int argc, char **argv);

#endif
