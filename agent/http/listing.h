/*
 * Nomad's list-endpoint query parameters, applied to the JSON a list
 * route built: ?filter= (a go-bexpr expression on each item), then
 * ?per_page= and ?next_token= paging with the X-Nomad-NextToken header.
 */
#ifndef CARAVAN_AGENT_HTTP_LISTING_H
#define CARAVAN_AGENT_HTTP_LISTING_H

#include <stddef.h>
#include <jansson.h>

struct bexpr;
struct err;
struct httpd_req;

struct listing
{
    struct bexpr *filter;   /* NULL: every item */
    size_t per_page;        /* 0: all */
    const char *next_token; /* NULL or "": from the start; borrowed */
};

/*
 * Reads the parameters of req into l (release with listing_release()).
 * A bad filter or per_page gives ERR_INVALID with Nomad's message.
 */
int listing_init(struct listing *l, struct httpd_req *req, struct err *err);
void listing_release(struct listing *l);

/*
 * Filters and pages body in place when it is a list (an array, or job
 * versions' {"Versions": [...], "Diffs": [...]}), and sets the
 * X-Nomad-NextToken header on req when more items remain.
 */
void listing_apply(const struct listing *l,
                   struct httpd_req *req,
                   json_t *body);

#endif
