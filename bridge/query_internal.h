/* query_internal.h - what the query files share; no other module includes
 * it. */
#ifndef FSB_QUERY_INTERNAL_H
#define FSB_QUERY_INTERNAL_H

#include "query.h"

/* Entries were accepted under a node's cap, at most the configurable one. */
#define QUERY_STORED_MAX_BYTES (16u << 20)

/* The view a query reads. */
struct fsb_view *query_view(struct fsb_query *q);

/* Reads log entry `index` into *e and decodes its message into *m (NULL
 * when the stored bytes do not decode: the log proves they were received,
 * they just do not read). Free *m with fsb_message_free(). */
int query_read(struct fsb_view *v, uint64_t index, struct fsb_entry *e, struct fsb_message **m);

/* A case's state from the flags the index keeps. */
enum fsb_case_state query_case_state(unsigned flags);

#endif
