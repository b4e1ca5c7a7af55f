/*
 * Names and rotation rules of a task's log files, shared by the writer
 * (the logmon helper, agent/client/logmon.c) and the readers (the logs
 * endpoint): <task>.stdout.N and <task>.stderr.N in alloc/logs, N counting
 * up from 0; a file that reaches max_file_size is complete and the next
 * one starts; only the newest max_files are kept (Nomad's logmon).
 */
#ifndef CARAVAN_LIB_LOGFILE_H
#define CARAVAN_LIB_LOGFILE_H

#include <stdbool.h>
#include <stdint.h>

/* Nomad's defaults for a task's `logs` block. */
#define LOGFILE_MAX_FILES_DEFAULT 10
#define LOGFILE_MAX_FILE_SIZE_MB_DEFAULT 10

/*
 * True when name is "<base>.N" with N a decimal index without sign or
 * leading zeros (below 2^31); *index receives N.
 */
bool logfile_index(const char *name, const char *base, uint32_t *index);

/*
 * Scans dir for "<base>.N" files: *first and *last receive the lowest and
 * highest index. Returns 0, or -ENOENT when there is none (or dir cannot be
 * read).
 */
int logfile_range(const char *dir,
                  const char *base,
                  uint32_t *first,
                  uint32_t *last);

/*
 * How many of len bytes still fit into a file holding size bytes when
 * files are cut at max_bytes (>= 1); 0 means: rotate first. A full file
 * is rotated before a write, never after, so no empty file is left behind.
 */
uint64_t logfile_room(uint64_t size, uint64_t len, uint64_t max_bytes);

/*
 * Once file newest exists, the indexes below the returned one are beyond
 * max_files (>= 1) and are deleted.
 */
uint32_t logfile_keep_from(uint32_t newest, uint32_t max_files);

#endif
