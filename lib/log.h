/*
 * Leveled logging with a subsystem and fixed context per logger.
 *
 * Each record is one line: "time level subsystem context: message". The
 * sink is a process-wide function pointer so tests can capture output and
 * the agent can switch to JSON lines. The level is tested before anything
 * is formatted, so a disabled log_debug() costs one comparison.
 */
#ifndef CARAVAN_LIB_LOG_H
#define CARAVAN_LIB_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_ERROR = 0, /* an operator must act */
    LOG_WARN,      /* degraded but handled */
    LOG_INFO,      /* a state change */
    LOG_DEBUG,     /* detail per message */
    LOG_TRACE,
};

struct log_record
{
    enum log_level level;
    const char *subsystem; /* "client.task" */
    const char *context;   /* "alloc=3f2a task=web", may be "" */
    const char *message;   /* formatted, no trailing newline */
};

typedef void (*log_sink_cb)(const struct log_record *rec, void *arg);

struct logger
{
    const char *subsystem; /* borrowed; usually a string literal */
    char context[128];
};

/* Sets up a logger for a subsystem; context is printf-formatted or NULL. */
void logger_init(struct logger *lg, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Process-wide settings. The level may change at any time, from any thread
 * (the agent's SIGHUP reload); set the others before threads start.
 */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replaces the sink; NULL restores the default (stderr, text lines). */
void log_set_sink(log_sink_cb sink, void *arg);
/* The default sink writes JSON lines instead of text when json is true. */
void log_set_json(bool json);
/* Parses "error", "warn", "info", "debug", "trace" (any case). */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log__emit(const struct logger *lg,
               enum log_level level,
               const char *fmt,
               ...) __attribute__((format(printf, 3, 4)));

#define log__at(lg, lvl, ...)                    \
    do {                                         \
        if ((lvl) <= log_get_level())            \
            log__emit((lg), (lvl), __VA_ARGS__); \
    } while (0)
#define log_error(lg, ...) log__at(lg, LOG_ERROR, __VA_ARGS__)
#define log_warn(lg, ...) log__at(lg, LOG_WARN, __VA_ARGS__)
#define log_info(lg, ...) log__at(lg, LOG_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log__at(lg, LOG_DEBUG, __VA_ARGS__)
#define log_trace(lg, ...) log__at(lg, LOG_TRACE, __VA_ARGS__)

#endif
