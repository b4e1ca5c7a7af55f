/*
 * The server's command log. Today: a single-node log in LMDB where an
 * append is committed (fsync) before it returns, so a command that was
 * acknowledged survives kill -9. The Raft issue replaces this file with
 * Raft behind the same three calls; callers do not change.
 */
#ifndef CARAVAN_AGENT_SERVER_LOG_H
#define CARAVAN_AGENT_SERVER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct cmd_log;

/* Opens (creating) the log in dir. no_sync skips fsync (tests, -dev). */
int cmdlog_open(const char *dir,
                bool no_sync,
                struct cmd_log **out,
                struct err *err);
void cmdlog_close(struct cmd_log *log);
/* Appends an encoded command durably; *index is its position (from 1). */
int cmdlog_append(struct cmd_log *log,
                  const void *data,
                  size_t len,
                  uint64_t *index,
                  struct err *err);
/* One encoded command of a batch; data is borrowed. */
struct cmdlog_entry
{
    const void *data;
    size_t len;
};
/*
 * Appends n entries in one durable commit (group commit): all or none.
 * They take the indexes *first_index .. *first_index + n - 1, in order.
 */
int cmdlog_append_batch(struct cmd_log *log,
                        const struct cmdlog_entry *entries,
                        size_t n,
                        uint64_t *first_index,
                        struct err *err);
uint64_t cmdlog_last_index(struct cmd_log *log);
/* Calls fn for every entry with index > after, in order; stops on error. */
int cmdlog_replay(struct cmd_log *log,
                  uint64_t after,
                  int (*fn)(uint64_t index,
                            const void *data,
                            size_t len,
                            void *arg),
                  void *arg,
                  struct err *err);

#endif
