/*
 * The deployment watcher's decisions (Nomad's deploymentwatcher), as a pure
 * core: a deployment, the allocs of its job, the job versions that matter
 * and the wall clock in; what to write to the log out. No I/O and no clock
 * reads, so tests drive it with any time they like.
 *
 * A running deployment, per group:
 *
 *   placed -> healthy (min_healthy_time, reported by the client) -> done
 *          \-> unhealthy (task failed, or not healthy by healthy_deadline)
 *
 * The deployment ends "successful" once every group is done (promoted if
 * it has canaries, and as many healthy running allocs as desired); it ends
 * "failed" at an unhealthy alloc when the group has no progress deadline or
 * the alloc has no reschedule attempt left (a failed alloc that has one is
 * handed to the scheduler to be replaced), or when a group makes no
 * progress (no new healthy alloc) by its progress deadline. A failed deployment
 * with auto_revert registers the newest stable job version again. Each new
 * healthy alloc asks for an eval, so the scheduler places the next
 * max_parallel batch. Canaries with auto_promote are promoted once they are
 * all healthy; others wait for deploy_watch_promote().
 *
 * Differences from Nomad: an unhealthy alloc that still runs (its task
 * restarted) is not replaced, the progress deadline decides for it;
 * healthy_deadline is enforced here rather than on the
 * client, counting from the alloc's creation (or the deployment's, for an
 * alloc updated in place into it).
 */
#ifndef CARAVAN_AGENT_SERVER_DEPLOY_WATCH_H
#define CARAVAN_AGENT_SERVER_DEPLOY_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc;
struct deployment;
struct err;
struct job;

/* Nomad's status descriptions (structs.DeploymentStatusDescription*). */
#define DEPLOY_DESC_RUNNING "Deployment is running"
#define DEPLOY_DESC_NEEDS_PROMOTION \
    "Deployment is running but requires manual promotion"
#define DEPLOY_DESC_AUTO_PROMOTION \
    "Deployment is running pending automatic promotion"
#define DEPLOY_DESC_PAUSED "Deployment is paused"
#define DEPLOY_DESC_SUCCESSFUL "Deployment completed successfully"
#define DEPLOY_DESC_FAILED_ALLOCS "Failed due to unhealthy allocations"
#define DEPLOY_DESC_PROGRESS_DEADLINE "Failed due to progress deadline"
#define DEPLOY_DESC_FAILED_BY_USER "Deployment marked as failed"

/* Everything borrowed, valid for the call. */
struct deploy_watch_in
{
    const struct deployment *d;
    struct alloc *const *allocs; /* the allocs of d's job, any deployment */
    size_t nallocs;
    const struct job *job;    /* the version d rolls out; NULL if gone */
    const struct job *stable; /* newest stable version before it, or NULL */
    int64_t now_unix_ns;
};

/* What to write; everything owned, freed by deploy_watch_out_release(). */
struct deploy_watch_out
{
    struct deployment *d; /* the new deployment, NULL when unchanged */
    bool job_stable;      /* mark d's job version stable */
    bool create_eval;     /* evaluate the job (next batch, failure...) */
    struct job *rollback; /* register this job again (auto_revert) */
    char **unhealthy;     /* alloc ids to mark unhealthy (healthy_deadline) */
    size_t nunhealthy;
    char **replace; /* failed alloc ids the scheduler may replace */
    size_t nreplace;
    char **healthy; /* alloc ids to mark healthy (set by hand) */
    size_t nhealthy;
    int64_t next_unix_ns; /* call again by then; 0 when only on changes */
};

void deploy_watch_out_release(struct deploy_watch_out *out);

/*
 * Recounts a deployment from its allocs and decides what happens to it.
 * Only running deployments change status; a paused one is only recounted,
 * and a terminal one is left alone (out stays empty).
 */
void deploy_watch_step(const struct deploy_watch_in *in,
                       struct deploy_watch_out *out);

/*
 * Promotes the canaries of groups (ngroups names; all == every group).
 * Fails with ERR_INVALID and Nomad's message when the deployment is not
 * active, a group is unknown, a canary is not healthy, or there are no
 * canaries to promote; then out is left empty.
 */
int deploy_watch_promote(const struct deploy_watch_in *in,
                         const char *const *groups,
                         size_t ngroups,
                         bool all,
                         struct deploy_watch_out *out,
                         struct err *err);

/* Marks an active deployment failed by the user (rolls back as a failure
 * does when a group has auto_revert). ERR_INVALID when terminal. */
int deploy_watch_fail(const struct deploy_watch_in *in,
                      struct deploy_watch_out *out,
                      struct err *err);

/*
 * Sets the health of allocs of an active deployment by hand (Nomad's
 * allocation-health, for health_check = "manual"). ERR_INVALID with
 * Nomad's message when the deployment is terminal, an id is unknown or
 * an alloc belongs to another deployment.
 */
int deploy_watch_set_health(const struct deploy_watch_in *in,
                            const char *const *healthy,
                            size_t nhealthy,
                            const char *const *unhealthy,
                            size_t nunhealthy,
                            struct deploy_watch_out *out,
                            struct err *err);

/* Pauses (pause) or resumes an active deployment. */
int deploy_watch_pause(const struct deploy_watch_in *in,
                       bool pause,
                       struct deploy_watch_out *out,
                       struct err *err);

#endif
