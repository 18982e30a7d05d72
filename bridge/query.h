/* query.h - the views computed from the log: the one place that turns
 * indexed entries into what staff and agency systems read (README,
 * "Cases"). The CLI and the web view render these structs; they compute
 * nothing themselves.
 *
 * A query reads one snapshot (struct fsb_view: one LMDB read transaction),
 * never writes, and touches only what the indexes point at, so its time
 * follows the size of the answer, not of the log.
 *
 * Ownership: every struct filled here is owned by the caller and released
 * with its *_clear(); strings in it are copies. Enum values are kept by
 * their schema names (static strings: "RECALL_CLASS_I"), which renderers
 * turn into words through the label tables.
 */
#ifndef FSB_QUERY_H
#define FSB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "store.h"

/* What a case's state depends on besides the log. */
struct fsb_case_opts {
	int64_t now_ms;       /* the time deadlines are judged at */
	int64_t ack_alert_ms; /* acknowledgement due after the root, class I or alert */
	int64_t ack_other_ms; /* ... anything else that calls for action */
	int timeline;         /* keep the messages (fsb_case.events); a list leaves them out */
};

enum fsb_case_state {
	FSB_CASE_STATE_OPEN = 1,        /* calls for action, or waits for its root */
	FSB_CASE_STATE_INFORMATION = 2, /* for information: nothing to do */
	FSB_CASE_STATE_CLOSED = 3,      /* closed by the root's origin */
	FSB_CASE_STATE_WITHDRAWN = 4,   /* the root withdrawn by its origin */
};

/* One message of a case. */
struct fsb_case_event {
	char id[FSB_MESSAGE_ID_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	enum fsb_kind kind;
	enum fsb_followup_type type;     /* FSB_FU_NONE for the root */
	char ref_id[FSB_MESSAGE_ID_MAX + 1];
	int64_t issued_at_ms;
	int64_t respond_by_ms;           /* a request's; INT64_MIN otherwise */
	char *unit;                      /* the issuing unit */
	char *officer;                   /* its contact, "" when none */
	char *text;                      /* what it says: text, else reason */
	const char *measures[FSB_FACTS_MEASURES]; /* measure types, the first few */
	size_t n_measures;
	/* the root's assessment, or what a reclassification changes (NULL: unchanged) */
	const char *classification, *recall_class, *risk;
	int withdrawn;                   /* its origin withdrew it later */
};

/* One province the root is addressed to. */
struct fsb_case_party {
	char origin[FSB_ORIGIN_MAX + 1];
	int delivered;             /* it holds the root: its checkpoint covers it */
	int acknowledged;
	int64_t ack_at_ms;
	char *ack_unit;            /* who handles it */
	char *ack_officer;
	size_t measures;           /* measures it reported */
	int64_t due_ms;            /* acknowledgement due; INT64_MIN when none is due */
	int overdue;
};

/* A request for information and its answer. */
struct fsb_case_request {
	char id[FSB_MESSAGE_ID_MAX + 1];
	char asker[FSB_ORIGIN_MAX + 1];
	char *text;
	int64_t asked_at_ms;
	int64_t respond_by_ms;
	size_t answers;
	char answer_id[FSB_MESSAGE_ID_MAX + 1]; /* the first answer, "" when none */
	char answered_by[FSB_ORIGIN_MAX + 1];
	int64_t answered_at_ms;
	int overdue;
};

struct fsb_case {
	char id[FSB_MESSAGE_ID_MAX + 1];  /* the root's message id */
	char origin[FSB_ORIGIN_MAX + 1];  /* the root's origin */
	int root_held;                    /* 0: "referenced message not yet held" */
	enum fsb_kind kind;               /* the root's; NONE while not held */
	enum fsb_case_state state;
	char *subject;                    /* what it is about */
	char *unit;                       /* the root's issuing unit */
	const char *classification;       /* current, after reclassifications */
	const char *recall_class;
	const char *risk;
	const char *verdict;              /* a surveillance result's */
	const char *notice_type;          /* a quarantine notice's */
	int64_t opened_ms;                /* the root's issued_at (INT64_MIN while not held) */
	int64_t detected_ms;              /* the root's detected_at, INT64_MIN when not given */
	int64_t closed_ms;                /* the closure's or withdrawal's issued_at, INT64_MIN */
	int64_t updated_ms;               /* the newest message's issued_at */
	size_t messages;                  /* messages in the case; a case of more than
					   * FSB_CASE_MEMBERS_MAX is computed from its root
					   * and the first of the others */
	int overdue;                      /* an acknowledgement or an answer is late */
	struct fsb_case_party *parties;
	size_t n_parties;
	struct fsb_case_request *requests;
	size_t n_requests;
	struct fsb_case_event *events;    /* by issued_at; only with opts.timeline */
	size_t n_events;
};

struct fsb_query; /* opaque: queries on one view, sharing what they read */

/* Starts querying view v (borrowed: it must outlive the query). What every
 * case reads alike (the peers' checkpoints) is read once, at first need. */
int fsb_query_open(struct fsb_view *v, struct fsb_query **out);
void fsb_query_close(struct fsb_query *q); /* NULL allowed */

/* Computes case `id` (a case id, or any message of the case) into *out.
 * FSB_ENOTFOUND when the node knows no such case or message. */
int fsb_query_case(struct fsb_query *q, const char *id, const struct fsb_case_opts *o,
		   struct fsb_case *out);

void fsb_case_clear(struct fsb_case *c);

/* Which cases a list shows. */
struct fsb_case_filter {
	int open_only;      /* open cases only (the index of open cases: no scan) */
	int overdue_only;   /* open cases with something late */
	const char *origin; /* the root's origin, or NULL */
	enum fsb_kind kind; /* the root's kind, or FSB_KIND_NONE */
};

/* The cases that pass f, newest first (by the root's issued_at; those
 * waiting for their root last), without timelines, into a malloc'd array
 * of *n; free with fsb_cases_free(). */
int fsb_query_cases(struct fsb_query *q, const struct fsb_case_filter *f,
		    const struct fsb_case_opts *o, struct fsb_case **cases, size_t *n);

void fsb_cases_free(struct fsb_case *cases, size_t n);

#endif
