/* audit.h - proving a node's log: the verification engine behind
 * `fsbridge audit verify`.
 *
 * One pass over a read-only snapshot checks the local chain (each entry
 * hash over the one before), each envelope's payload hash, each stream's
 * seq order, prev_hash links and issuedAt order, and that the stream heads
 * agree with the log. Then signatures: by default the newest of each
 * stream, which authenticates every earlier payload through the hash links;
 * with `full` every one, on worker threads, each judged as at its recorded
 * arrival by the rule the node applied (a message whose certificate was not
 * in force when it arrived stands only when a later message of its stream,
 * in force at its own arrival, links to it). A whole walk also reads every
 * index back against the log (fsb_store_index_check). The CRLs the node adopted from
 * the exchange, kept in its store, count as they did for the node.
 *
 * The engine prints nothing; what it found is in the report.
 */
#ifndef FSB_AUDIT_H
#define FSB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "store.h"

#define FSB_AUDIT_MAX_JOBS 8

struct fsb_audit_opts {
	uint64_t from;      /* first log index walked (0 or 1: all); the chain goes on
			       from the entry before it */
	int full;           /* verify every signature, not only each stream's newest */
	unsigned jobs;      /* worker threads for `full`, 1 to FSB_AUDIT_MAX_JOBS */
	/* The trust anchors: CA files and their CRL files (a NULL CRL: none).
	 * n_anchors 0: signatures are not checked. Borrowed. */
	char *const *ca_files;
	char *const *crl_files;
	size_t n_anchors;
	/* Called after each entry walked (may be NULL). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct fsb_audit_stream {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq; /* the newest seq walked */
};

/* What the audit found. bad_index and why name the first problem: the
 * lowest log index, or UINT64_MAX when the problem is no one entry's (the
 * heads, a link reaching before a partial walk). */
struct fsb_audit_report {
	uint64_t entries;     /* entries walked */
	uint64_t bytes;       /* envelope bytes walked */
	uint64_t links;       /* prev_hash links and payload hashes that held */
	uint64_t signatures;  /* signatures verified */
	int signatures_checked;
	uint64_t last_index;  /* the log's newest entry, and its entry hash */
	uint8_t last_hash[FSB_HASH_LEN];
	uint64_t rejects, equivocations; /* as the store counts them */
	struct fsb_audit_stream *streams; /* in order of first appearance */
	size_t n_streams;
	uint64_t problems;    /* 0: the log holds */
	uint64_t bad_index;
	char why[600];
};

/* Audits the log of store (opened read-only or not; nothing is written)
 * into r, which the caller frees with fsb_audit_report_clear(). Returns 0
 * when the audit ran to its end, whatever it found (r->problems); or
 * FSB_EINVAL when o->from is past the log's end, FSB_ECERT when the trust
 * anchors cannot be read, a store error when the log cannot be read, with
 * err saying what. */
int fsb_audit_run(struct fsb_store *store, const struct fsb_audit_opts *o,
		  struct fsb_audit_report *r, char *err, size_t errlen);

void fsb_audit_report_clear(struct fsb_audit_report *r);

#endif
