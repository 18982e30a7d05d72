/* query_internal.h - what the query files share; no other module includes
 * it. */
#ifndef FSB_QUERY_INTERNAL_H
#define FSB_QUERY_INTERNAL_H

#include "query.h"

/* Entries were accepted under a node's cap, at most the configurable one. */
#define QUERY_STORED_MAX_BYTES (16u << 20)

/* The view a query reads. */
struct fsb_view *query_view(struct fsb_query *q);

/* The message of log entry e, decoded; NULL when its bytes do not decode.
 * Free it with fsb_message_free(). */
struct fsb_message *query_decode(const struct fsb_entry *e);

/* Reads log entry `index` into *e and decodes its message into *m (NULL
 * when the stored bytes do not decode: the log proves they were received,
 * they just do not read). Free *m with fsb_message_free(). */
int query_read(struct fsb_view *v, uint64_t index, struct fsb_entry *e, struct fsb_message **m);

/* A case's state from the flags the index keeps. */
enum fsb_case_state query_case_state(unsigned flags);

/* The certificate whose line is case `root`, judged at tq's date, into *c;
 * 0 with c->notices 0 when none of its notices was issued by then
 * (query_trace.c). */
int query_cert_line(struct fsb_view *v, const char *root, const struct fsb_trace_query *tq,
		    struct fsb_trace_cert *c);

/* Calls fn with every origin the exchange knows (this node's, the streams
 * held, the peers heard), and for each peer that sent a checkpoint, how
 * far it holds `origin`'s stream and when the checkpoint was issued
 * (has_checkpoint 0: neither). */
typedef int (*query_peer_fn)(void *ctx, const char *peer, int has_checkpoint, uint64_t holds_seq,
			     int64_t checkpoint_ms);
int query_peers(struct fsb_query *q, const char *origin, query_peer_fn fn, void *ctx);

#endif
