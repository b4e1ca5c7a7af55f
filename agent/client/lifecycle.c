/* Task lifecycle ordering (see lifecycle.h). */
#include "agent/client/lifecycle.h"

#include <string.h>

bool lifecycle_hook_parse(const char *name, enum lifecycle_hook *out)
{
    if (name == NULL || name[0] == '\0')
        *out = LIFECYCLE_MAIN;
    else if (strcmp(name, "prestart") == 0)
        *out = LIFECYCLE_PRESTART;
    else if (strcmp(name, "poststart") == 0)
        *out = LIFECYCLE_POSTSTART;
    else if (strcmp(name, "poststop") == 0)
        *out = LIFECYCLE_POSTSTOP;
    else
        return false;
    return true;
}

bool lifecycle_success_is_final(enum lifecycle_hook hook,
                                bool sidecar,
                                bool batch_job)
{
    switch (hook) {
    case LIFECYCLE_MAIN:
        return batch_job;
    case LIFECYCLE_PRESTART:
    case LIFECYCLE_POSTSTART:
        return !sidecar;
    case LIFECYCLE_POSTSTOP:
        return true;
    }
    return batch_job;
}

static bool alive(const struct lifecycle_task *t)
{
    return t->run == LIFECYCLE_STARTED || t->run == LIFECYCLE_RUNNING;
}

/* Which phases may begin, from the states of the others. */
struct gates
{
    bool main, poststart, poststop;
};

static struct gates gates_of(const struct lifecycle_task *tasks, size_t n)
{
    struct gates g = {true, true, true};
    size_t mains = 0;

    for (size_t i = 0; i < n; i++) {
        const struct lifecycle_task *t = &tasks[i];

        switch (t->hook) {
        case LIFECYCLE_PRESTART:
            if (t->sidecar ? t->run != LIFECYCLE_RUNNING
                           : t->run != LIFECYCLE_DEAD || t->failed)
                g.main = false;
            break;
        case LIFECYCLE_MAIN:
            mains++;
            if (t->run == LIFECYCLE_WAITING)
                g.poststart = false;
            break;
        case LIFECYCLE_POSTSTART:
            break;
        case LIFECYCLE_POSTSTOP:
            continue;
        }
        if (t->run != LIFECYCLE_DEAD)
            g.poststop = false;
    }
    /* A group without main tasks runs poststart after prestart. */
    if (mains == 0)
        g.poststart = g.main;
    return g;
}

static void decide_kill(const struct lifecycle_task *tasks,
                        size_t n,
                        struct lifecycle_decision *out)
{
    size_t mains = 0, mains_dead = 0;
    bool live_sidecar = false, others_busy = false;

    out->kill_reason = LIFECYCLE_KILL_NONE;
    out->cause = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lifecycle_task *t = &tasks[i];

        if (t->hook == LIFECYCLE_POSTSTOP)
            continue;
        if (t->run == LIFECYCLE_DEAD && t->failed) {
            out->kill_reason = LIFECYCLE_KILL_SIBLING_FAILED;
            out->cause = i;
            return;
        }
        if (t->run == LIFECYCLE_DEAD && t->leader &&
            out->kill_reason == LIFECYCLE_KILL_NONE) {
            out->kill_reason = LIFECYCLE_KILL_LEADER_DEAD;
            out->cause = i;
        }
        if (t->hook == LIFECYCLE_MAIN) {
            mains++;
            mains_dead += t->run == LIFECYCLE_DEAD;
        } else if (t->sidecar && alive(t)) {
            live_sidecar = true;
        } else if (t->run != LIFECYCLE_DEAD) {
            others_busy = true; /* an ephemeral hook still to finish */
        }
    }
    if (out->kill_reason == LIFECYCLE_KILL_NONE && mains > 0 &&
        mains_dead == mains && live_sidecar && !others_busy)
        out->kill_reason = LIFECYCLE_KILL_MAIN_DEAD;
}

void lifecycle_decide(const struct lifecycle_task *tasks,
                      size_t n,
                      bool *start,
                      bool *kill,
                      struct lifecycle_decision *out)
{
    struct gates g = gates_of(tasks, n);

    decide_kill(tasks, n, out);
    for (size_t i = 0; i < n; i++) {
        const struct lifecycle_task *t = &tasks[i];

        kill[i] = out->kill_reason != LIFECYCLE_KILL_NONE &&
                  t->hook != LIFECYCLE_POSTSTOP && t->run != LIFECYCLE_DEAD;
        start[i] = false;
        if (t->run != LIFECYCLE_WAITING || kill[i])
            continue;
        switch (t->hook) {
        case LIFECYCLE_PRESTART:
            start[i] = true;
            break;
        case LIFECYCLE_MAIN:
            start[i] = g.main;
            break;
        case LIFECYCLE_POSTSTART:
            start[i] = g.main && g.poststart;
            break;
        case LIFECYCLE_POSTSTOP:
            start[i] = g.poststop;
            break;
        }
    }
}
