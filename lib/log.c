/* Logger state, the default text/JSON sinks and record formatting. */
#include "lib/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Atomic: a SIGHUP reload changes it while pool threads log. */
static _Atomic int current_level = LOG_INFO;
static log_sink_cb current_sink;
static void *current_sink_arg;
static bool json_lines;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG",
                                          "TRACE"};

void logger_init(struct logger *lg, const char *subsystem, const char *fmt, ...)
{
    va_list ap;

    lg->subsystem = subsystem;
    lg->context[0] = '\0';
    if (fmt == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(lg->context, sizeof(lg->context), fmt, ap);
    va_end(ap);
}

void log_set_level(enum log_level level)
{
    atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load_explicit(&current_level,
                                                memory_order_relaxed);
}

void log_set_sink(log_sink_cb sink, void *arg)
{
    current_sink = sink;
    current_sink_arg = arg;
}

void log_set_json(bool json)
{
    json_lines = json;
}

const char *log_level_name(enum log_level level)
{
    if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "UNKNOWN";
    return level_names[level];
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

static void format_time(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

static void default_sink(const struct log_record *rec, void *arg)
{
    char when[48];

    (void)arg;
    format_time(when, sizeof(when));
    if (json_lines) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "@timestamp", when, "@level",
                      log_level_name(rec->level), "@module", rec->subsystem,
                      "context", rec->context, "@message", rec->message);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;

        if (line != NULL)
            fprintf(stderr, "%s\n", line);
        free(line);
        json_decref(o);
        return;
    }
    fprintf(stderr, "    %s [%-5s] %s%s%s: %s\n", when,
            log_level_name(rec->level), rec->subsystem,
            rec->context[0] ? " " : "", rec->context, rec->message);
}

void log__emit(const struct logger *lg,
               enum log_level level,
               const char *fmt,
               ...)
{
    char message[2048];
    struct log_record rec;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    rec.level = level;
    rec.subsystem = lg->subsystem ? lg->subsystem : "";
    rec.context = lg->context;
    rec.message = message;
    if (current_sink != NULL)
        current_sink(&rec, current_sink_arg);
    else
        default_sink(&rec, NULL);
}
