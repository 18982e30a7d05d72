/* case_rule.h - how messages make up a case, and when a case is open: the
 * rules the store's case index and the case view share (PROTOCOL.md,
 * "Cases"). A pure module.
 *
 * A case is a root message and every follow-up whose reference chain leads
 * to it; its id is the root's message id. While a follow-up's chain ends at
 * a message this node does not hold yet, that message's id names the case.
 * What the index keeps of a case is a set of flags, each the OR of what
 * its members say, so the order in which members arrive never matters.
 */
#ifndef FSB_CASE_RULE_H
#define FSB_CASE_RULE_H

#include "codec.h"

enum {
	FSB_CASE_HELD = 1 << 0,      /* the root message is held */
	FSB_CASE_ALERT = 1 << 1,     /* the root calls for action (struct fsb_links) */
	FSB_CASE_REQUEST = 1 << 2,   /* someone asked for information */
	FSB_CASE_CLOSED = 1 << 3,    /* the root's origin closed it */
	FSB_CASE_WITHDRAWN = 1 << 4, /* the root's origin withdrew the root */
};

/* What one member (the root included) says about case root_id: REQUEST
 * for a request for information; CLOSED for a closure, WITHDRAWN for a
 * withdrawal of the root itself, when the member comes from the root's
 * origin (the part of root_id before the colon); 0 otherwise. */
unsigned fsb_case_member_flags(const char *root_id, const char *member_origin,
			       enum fsb_followup_type type, const char *ref_id);

/* Open: neither closed nor withdrawn, and either waiting for its root, or
 * calling for action, or asked about. A case of a compliant result that
 * nobody asked about is for information. */
int fsb_case_is_open(unsigned flags);

/* Whether member_origin is the origin of message id (the part before ':'). */
int fsb_case_same_origin(const char *id, const char *member_origin);

#endif
