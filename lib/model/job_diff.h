/*
 * The difference between two versions of a job, as Nomad's JobDiff JSON
 * (what `job plan` and `job history -p` print).
 *
 * Shape: {"Type","ID","Fields","Objects","TaskGroups"}; a group diff has
 * "Name","Fields","Objects","Tasks","Updates"; a task diff "Name",
 * "Fields","Objects","Annotations"; an object diff "Name","Fields",
 * "Objects"; a field diff "Name","Old","New","Annotations". Type is
 * "Added", "Deleted", "Edited" or "None". Empty lists are null, as Go's
 * nil slices.
 *
 * The diff walks the model schemas, so a field added to a schema shows up
 * in diffs without code here. Job, group and task fields are listed only
 * when they changed; the fields of an edited block come with the
 * unchanged ones for context (Nomad's contextual diff). Lists of blocks
 * (constraints, services, ...) are compared as sets: equal elements are
 * not shown, elements with the same Name or Label are edited, the others
 * added or deleted, under the singular of the list's name ("Constraint").
 */
#ifndef CARAVAN_LIB_MODEL_JOB_DIFF_H
#define CARAVAN_LIB_MODEL_JOB_DIFF_H

#include <jansson.h>

struct job;

/*
 * The diff from old to new (either may be NULL: an added or deleted job).
 * Both should be canonicalized, or defaults show up as changes. Returns a
 * new reference.
 */
json_t *job_diff(const struct job *old, const struct job *new);

/*
 * Adds the scheduler's view to a diff, as Nomad's scheduler.Annotate:
 * each group's "Updates" from desired (group name -> Nomad's
 * DesiredUpdates object: Place, Stop, Migrate, InPlaceUpdate,
 * DestructiveUpdate, Canary, Ignore), "forces create"/"forces destroy" on
 * a changed Count, and per changed task whether it forces a
 * create/destroy or an in-place update. desired may be NULL.
 */
void job_diff_annotate(json_t *diff, const json_t *desired);

#endif
