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
#include "sign.h"
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

/* "open", "information", "closed", "withdrawn": a state's name in JSON and
 * its label key (case.state.NAME); NULL for none. */
const char *fsb_case_state_name(enum fsb_case_state s);

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

/* ---- tracing (README, "Tracing") ---------------------------------------- */

/* A certificate's standing at the trace's date, from the latest of its
 * notices issued by then. */
enum fsb_cert_state {
	FSB_CERT_IN_FORCE = 1,
	FSB_CERT_NOT_YET_VALID = 2, /* granted, its validity not begun */
	FSB_CERT_SUSPENDED = 3,
	FSB_CERT_WITHDRAWN = 4,
	FSB_CERT_EXPIRED = 5,       /* an expiry notice, or past its last day */
};

#define FSB_TRACE_TEXT 256 /* bytes kept of a name or a reason (cut at a character) */
#define FSB_TRACE_KEY (FSB_TRACE_VALUE_MAX + 1)

/* An establishment. */
struct fsb_trace_est {
	char name[FSB_TRACE_TEXT];
	char tax_code[FSB_TRACE_KEY], registration[FSB_TRACE_KEY], gln[FSB_TRACE_KEY];
	char province[FSB_TRACE_TEXT];
};

/* A certificate: the line of notices from the one that issued it. */
struct fsb_trace_cert {
	char id[FSB_MESSAGE_ID_MAX + 1];     /* the notice that issued it (its case) */
	char latest[FSB_MESSAGE_ID_MAX + 1]; /* the notice that decides its standing */
	const char *latest_type;             /* that notice's type */
	int64_t latest_ms;                   /* ... and when it was issued */
	char origin[FSB_ORIGIN_MAX + 1];     /* the department that announced it */
	enum fsb_cert_state state;
	const char *scheme;                  /* CERTIFICATION_SCHEME_* */
	int international;                   /* a scheme recognised abroad */
	unsigned stars;
	char number[FSB_TRACE_TEXT], body[FSB_TRACE_TEXT];
	char valid_from[11], valid_until[11];
	struct fsb_trace_est holder;
	char chain_id[FSB_TRACE_KEY], chain_name[FSB_TRACE_TEXT];
	const char *role;                    /* CHAIN_ROLE_*, NULL when in no chain */
	char reason[FSB_TRACE_TEXT];         /* of a suspension or withdrawal */
	size_t notices;                      /* notices read in its line */
};

/* A safe chain: the certificates whose notices name it. */
struct fsb_safe_chain {
	char id[FSB_TRACE_KEY];
	char name[FSB_TRACE_TEXT];
	struct fsb_trace_cert *members;      /* by role, farm first */
	size_t n_members;
	size_t in_force;                     /* members whose certificate is in force */
	int safe;          /* counts for the programme: a farm and a later stage, all in force */
	int international; /* safe, with a member certified to an international scheme */
	size_t provinces;  /* departments (origins) that certified its members */
	int truncated;     /* more notices than FSB_CHAIN_NOTICES_MAX */
};

/* A message found, as the trace shows it. */
struct fsb_trace_item {
	char id[FSB_MESSAGE_ID_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	enum fsb_kind kind;
	int64_t issued_at_ms;
	char unit[FSB_TRACE_TEXT];           /* the issuing unit */
	char product[FSB_TRACE_TEXT];        /* the traced product's name, "" */
	char lots[FSB_TRACE_TEXT];           /* the lots it names, ", "-separated */
	int whole_product;                   /* names the product, no lot: every lot */
	int this_lot;                        /* names the traced lot */
	char party[FSB_TRACE_TEXT];          /* the establishment it names */
	const char *party_role;              /* as what (codec.h, fsb_trace_facts) */
	/* a surveillance result */
	const char *verdict, *stage;
	char failing[FSB_TRACE_TEXT];        /* analytes non-compliant (a recall: hazards) */
	char sample_id[FSB_TRACE_KEY];
	/* a recall */
	const char *recall_class, *classification;
	char reason[FSB_TRACE_TEXT];
	/* a quarantine notice */
	const char *notice_type;
	char certificate[FSB_TRACE_KEY], commodity[FSB_TRACE_TEXT];
	/* its case, now */
	char case_id[FSB_MESSAGE_ID_MAX + 1];
	enum fsb_case_state case_state;
};

/* What the trace looks for: a product (and lot) or an establishment. */
struct fsb_trace_query {
	struct fsb_trace_target target;
	int also_gln;                        /* a 13-digit GTIN, traced as a GLN too */
	int64_t at_ms;                       /* the date it is judged at (end of that day) */
	char at_date[11];                    /* that day, in UTC+07:00 */
};

/* Reads a trace's query: a GS1 Digital Link URI as a QR scanner reads it;
 * a GS1 element string "(01)…(10)…"; a GTIN (8, 12, 13 or 14 digits);
 * a GTIN and a lot ("GTIN LOT"); "gtin:", "gln:", "tax:" or "reg:"
 * followed by the value; a Vietnamese tax code (10 digits, or 10-3). A
 * 13-digit number is a GTIN-13 or a GLN: traced as both. Returns NULL, or
 * why it is not one (a bad check digit, not a Digital Link…). lot may be
 * NULL. */
const char *fsb_trace_parse(const char *query, const char *lot, struct fsb_trace_query *out);

struct fsb_trace {
	struct fsb_trace_query q;
	char product[FSB_TRACE_TEXT];        /* the product's name, from the newest message */
	struct fsb_trace_est *establishments; /* the producers and holders found (a product),
					       * or the establishment traced */
	size_t n_establishments;
	struct fsb_trace_cert *certs;        /* in force first, then by the latest notice, newest first */
	size_t n_certs;
	struct fsb_safe_chain *chains;
	size_t n_chains;
	struct fsb_trace_item *results;      /* surveillance results, newest first */
	size_t n_results;
	struct fsb_trace_item *recalls;
	size_t n_recalls;
	struct fsb_trace_item *notices;      /* quarantine notices */
	size_t n_notices;
	struct fsb_case *cases;              /* open cases of what was found, newest first */
	size_t n_cases;
	/* the answer in a line */
	size_t certs_in_force;
	size_t non_compliant;                /* results non-compliant */
	int lot_recalled;                    /* a recall not withdrawn names the traced lot or the
					      * whole product (any lot, when no lot was asked) */
	int truncated;                       /* a key held more entries than were read */
};

/* Sets the date a trace is judged at: `date` (YYYY-MM-DD, in UTC+07:00),
 * or the day of now_ms when NULL. Returns NULL, or why date is not one. */
const char *fsb_trace_at(struct fsb_trace_query *q, const char *date, int64_t now_ms);

/* Traces q.target as the view sees it at q.at_ms (messages issued later
 * are left out; cases are as they stand now). */
int fsb_query_trace(struct fsb_query *q, const struct fsb_trace_query *tq,
		    const struct fsb_case_opts *o, struct fsb_trace *out);
void fsb_trace_clear(struct fsb_trace *t);

/* The programme's targets (plan §II): at least three safe chains, one of
 * them to an international standard. */
#define FSB_TARGET_CHAINS 3
#define FSB_TARGET_INTERNATIONAL 1

struct fsb_chains {
	struct fsb_safe_chain *chains;            /* by id */
	size_t n;
	size_t safe, international;          /* chains that count, and to an international standard */
	int chains_met, international_met;   /* the targets */
	int truncated;                       /* more chains than FSB_CHAINS_MAX */
};

/* Every safe chain the node knows, its members' standing at at->at_ms
 * (its target is not used). */
int fsb_query_chains(struct fsb_query *q, const struct fsb_trace_query *at, struct fsb_chains *out);
void fsb_chains_clear(struct fsb_chains *c);

/* ---- the programme report (README, "The programme report") -------------- */

/* The period a report covers: whole days in UTC+07:00, both included. */
struct fsb_report_period {
	char from[11], to[11];       /* YYYY-MM-DD */
	int64_t from_ms, to_ms;      /* the first and the last millisecond of them */
};

/* Reads a period from its first and last day (YYYY-MM-DD). Returns NULL,
 * or why not (a date that is not one, the first day after the last), with
 * *which the option at fault ("--from", "--to"). */
const char *fsb_report_period(struct fsb_report_period *p, const char *from, const char *to,
			      const char **which);

/* Durations: how many, their median and their maximum. */
struct fsb_durations {
	size_t n;
	int64_t median_ms, max_ms;   /* 0 when n is 0 */
};

#define FSB_REPORT_TEXT 128 /* bytes kept of an analyte's or a disease's name */

/* Samples and how many were non-compliant (rate: percent of samples). */
struct fsb_report_rate {
	size_t samples, non_compliant;
	double rate;
};

/* Surveillance results of one origin in one category, or its total. */
struct fsb_report_surv {
	char origin[FSB_ORIGIN_MAX + 1];
	int total;                       /* the origin's total, over its categories */
	const char *category;            /* CATEGORY_*; NULL when not given (or total) */
	struct fsb_report_rate r;
};

/* Analyte results of one hazard group (analyte "": the group's total). */
struct fsb_report_analyte {
	const char *hazard;              /* HAZARD_CATEGORY_*, NULL when not given */
	char analyte[FSB_REPORT_TEXT];
	struct fsb_report_rate r;        /* samples: results reported */
};

/* Recalls of one class and basis. */
struct fsb_report_recalls {
	const char *recall_class;        /* the current one, after reclassifications */
	const char *basis;               /* RECALL_BASIS_* */
	size_t count;
};

/* How fast the recalls of one class (NULL: every class) went, in hours
 * from detection (the root's detectedAt): to the notification, to each
 * addressed province's acknowledgement, to the closure. */
struct fsb_report_timeliness {
	const char *recall_class;
	size_t recalls;
	size_t undated;                  /* without a detection time: not timed */
	struct fsb_durations notify, ack, close;
	size_t acks_due, acks_missing;   /* acknowledgements called for, and still missing */
	size_t closed;
};

/* Quarantine notices of one type. */
struct fsb_report_count {
	const char *name;                /* NOTICE_TYPE_* */
	size_t count;
};

/* An outbreak notice. */
struct fsb_report_outbreak {
	char id[FSB_MESSAGE_ID_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	const char *notice_type;         /* declared, update, ended */
	int64_t issued_ms;
	char disease[FSB_REPORT_TEXT], species[FSB_REPORT_TEXT], place[FSB_REPORT_TEXT];
	uint32_t cases, deaths, destroyed;
};

/* Cases opened in the period (roots that call for action), as they stand
 * when the report is made. */
struct fsb_report_cases {
	char origin[FSB_ORIGIN_MAX + 1]; /* "" for the total */
	size_t opened, closed, withdrawn, open, overdue;
};

/* Certificates of one scheme, by their standing at the period's end. */
struct fsb_report_scheme {
	const char *scheme;              /* CERTIFICATION_SCHEME_* */
	int international;
	size_t in_force, not_yet_valid, suspended, withdrawn, expired;
};

/* What one origin published in the period, as this node holds it. */
struct fsb_report_origin {
	char origin[FSB_ORIGIN_MAX + 1];
	size_t messages;
	size_t by_kind[FSB_KIND_MAX + 1];
	struct fsb_durations lag;        /* received here: arrival minus issuedAt */
};

/* What a peer's latest checkpoint says it holds of this node's messages
 * of the period. */
struct fsb_report_peer {
	char peer[FSB_ORIGIN_MAX + 1];
	int64_t checkpoint_ms;           /* when its checkpoint was issued; INT64_MIN: none */
	size_t sent, delivered;
};

struct fsb_report {
	struct fsb_report_period period;
	char node[FSB_ORIGIN_MAX + 1];   /* the node whose log it reads */
	int64_t made_ms;
	char (*origins)[FSB_ORIGIN_MAX + 1]; /* the origins it is limited to; none: every one */
	size_t n_origins;
	size_t messages;                 /* in the period, of those origins */
	size_t not_read;                 /* entries whose bytes do not decode */
	size_t withdrawn;                /* roots withdrawn by their origin: not counted */
	/* surveillance */
	struct fsb_report_surv *surv;    /* by origin, then category; each origin's total after */
	size_t n_surv;
	struct fsb_report_rate surv_total;
	struct fsb_report_analyte *analytes; /* by hazard group (its total first), then analyte */
	size_t n_analytes;
	int analytes_truncated;          /* more analyte names than FSB_REPORT_ANALYTES_MAX */
	/* recalls */
	struct fsb_report_recalls *recalls; /* by class, then basis */
	size_t n_recalls;
	size_t recalls_total;
	struct fsb_report_timeliness *timeliness; /* by class; the total last */
	size_t n_timeliness;
	/* quarantine */
	struct fsb_report_count *notices;
	size_t n_notices;
	size_t notices_total;
	struct fsb_report_outbreak *outbreaks; /* in order of issue */
	size_t n_outbreaks;
	size_t outbreaks_total;          /* may exceed FSB_REPORT_OUTBREAKS_MAX */
	/* cases, by origin; the total last */
	struct fsb_report_cases *cases;
	size_t n_cases;
	/* certificates and safe chains at the period's end */
	struct fsb_report_scheme *schemes;
	size_t n_schemes;
	size_t certs_total;
	struct fsb_chains chains;
	/* the exchange */
	struct fsb_report_origin *by_origin;
	size_t n_by_origin;
	struct fsb_report_peer *peers;
	size_t n_peers;
};

/* Computes the report of period p over the messages of `origins` (n of
 * them; none: every origin), with cases judged as o says. FSB_ENOTFOUND
 * when an origin is one the node never heard of (no stream, no
 * checkpoint): *unknown names it. */
int fsb_query_report(struct fsb_query *q, const struct fsb_report_period *p,
		     const char *const *origins, size_t n_origins, const struct fsb_case_opts *o,
		     struct fsb_report *out, const char **unknown);
void fsb_report_clear(struct fsb_report *r);

/* ---- the feed and one message (README, "The web view") ------------------ */

#define FSB_FEED_MAX 200        /* messages a feed page lists, at most */
#define FSB_FEED_SCAN_MAX 20000 /* entries a filtered page looks at, at most */

/* Which messages a feed lists. */
struct fsb_feed_filter {
	enum fsb_kind kind;   /* FSB_KIND_NONE: every kind */
	const char *category; /* a category slug ("crop"), NULL: every one */
	const char *origin;   /* NULL: every origin */
	uint64_t before;      /* older than this log index (0: from the newest), newest first */
	int live;             /* else: newer than `after` (0: from the first), oldest first */
	uint64_t after;
	size_t limit;         /* at most this many (FSB_FEED_MAX when 0 or more) */
};

/* One message as a feed lists it. */
struct fsb_feed_item {
	uint64_t index;                   /* in this node's log */
	char id[FSB_MESSAGE_ID_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	enum fsb_kind kind;
	char category[FSB_CATEGORY_MAX + 1];
	int64_t issued_at_ms, arrival_ms;
	enum fsb_direction direction;
	enum fsb_status status;
	int readable;                     /* 0: the stored bytes do not decode */
	char *subject;                    /* what it is about ("" when it names nothing) */
	char *unit;                       /* the issuing unit */
	/* the one thing to read first: a follow-up's type, a recall's class, a
	 * result's verdict, a notice's type; by schema name, NULL when none */
	const char *headline;
	char case_id[FSB_MESSAGE_ID_MAX + 1]; /* its case, "" when none */
};

struct fsb_feed {
	struct fsb_feed_item *items;
	size_t n;
	uint64_t next;    /* where the page stopped: the next page's before (or after) */
	int more;         /* there may be more past next */
	uint64_t newest;  /* the newest log index when the page was made */
};

/* Lists the messages f asks for into *out. Reads the kind index when f
 * names a kind, else the log, and looks at FSB_FEED_SCAN_MAX entries at
 * most, so a page costs the same at any size of log (more says to go on). */
int fsb_query_feed(struct fsb_query *q, const struct fsb_feed_filter *f, struct fsb_feed *out);
void fsb_feed_clear(struct fsb_feed *f);

/* How a message links to the one its origin published before it. */
enum fsb_stream_link {
	FSB_LINK_FIRST = 1,     /* the first of its stream */
	FSB_LINK_OK = 2,        /* its previous hash is the payload hash held for seq - 1 */
	FSB_LINK_NOT_HELD = 3,  /* seq - 1 is not held here */
	FSB_LINK_BROKEN = 4,    /* held, with another hash */
};

#define FSB_MESSAGE_PRODUCTS 16 /* products shown (with their QR codes), at most */

/* A product named by the message, with the Digital Link its QR code
 * carries: its own, or else GS1's canonical one from its GTIN and lot. */
struct fsb_message_product {
	char *name;
	char gtin14[FSB_GTIN14_LEN + 1];
	char *link;          /* "" when the product has no GTIN */
	int link_given;      /* the message gives the link itself */
};

/* One message with what vouches for it. */
struct fsb_message_view {
	struct fsb_feed_item item;
	struct fsb_message *msg;          /* decoded; NULL when it does not decode */
	char payload_hash[2 * FSB_HASH_LEN + 1], entry_hash[2 * FSB_HASH_LEN + 1];
	enum fsb_chain log_link;          /* its link in this node's log, checked now */
	enum fsb_stream_link stream_link; /* its link in its origin's stream */
	/* the signer: the certificate in its envelope */
	struct fsb_cert_info signer;
	char signer_fp[2 * FSB_FP_LEN + 1];
	/* the signature checked again now: 1 it verifies, 0 not checked (no
	 * trust given), -1 refused (why says) */
	int verified;
	char why[256];
	struct fsb_message_product products[FSB_MESSAGE_PRODUCTS];
	size_t n_products;                /* shown; products counts them all */
	size_t products_total;
};

/* What a message's signature is checked again against: the node's trust
 * anchors and its allowance for clocks ([trust] max_clock_skew). */
struct fsb_recheck {
	struct fsb_trust *trust;
	int64_t skew_ms;
};

/* Reads message `id` ("origin:seq") into *out; with check (NULL: not
 * checked), its signer and signature are checked again as on arrival.
 * FSB_ENOTFOUND when the node holds no such message. */
int fsb_query_message(struct fsb_query *q, const char *id, const struct fsb_recheck *check,
		      struct fsb_message_view *out);
void fsb_message_view_clear(struct fsb_message_view *m);

#endif
