/* The periodic dispatcher's decisions (periodic_core.h). */
#include "agent/server/periodic_core.h"

#include <string.h>

#include "lib/err.h"
#include "lib/model/job.h"

int periodic_first(const struct periodic_config *p,
                   int64_t last,
                   int64_t now,
                   struct periodic_plan *out,
                   struct err *err)
{
    int64_t due = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (last > 0) {
        rc = periodic_next(p, last, &due, err);
        if (rc != 0)
            return rc;
        if (due != 0 && due <= now) {
            out->launch = true;
            out->launch_at = now;
        }
    }
    return periodic_next(p, now, &out->next, err);
}

int periodic_due(const struct periodic_config *p,
                 int64_t due,
                 int64_t now,
                 bool child_running,
                 struct periodic_plan *out,
                 struct err *err)
{
    memset(out, 0, sizeof(*out));
    out->launch = !(tri_is_true(p->prohibit_overlap) && child_running);
    out->launch_at = due;
    return periodic_next(p, due > now - 1 ? due : now - 1, &out->next, err);
}
