/* query_message.c - the feed and one message, as the web view shows them
 * (README, "The web view").
 *
 * The feed pages through the log newest first (or, for the live feed,
 * oldest first after a given index), through the kind index when a kind
 * is asked for; the other filters (origin, category) read the stored
 * record's own fields, so only the messages listed are decoded. A page
 * looks at FSB_FEED_SCAN_MAX entries at most and says where it stopped.
 *
 * A message is shown with what vouches for it: its hashes, its link in
 * this node's log and in its origin's stream, the certificate that signed
 * it and, when the caller gives the trust anchors, the signature checked
 * again as it was on arrival.
 */
#include "query_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"

/* Fills the feed item of entry e (message m, NULL when unreadable). */
static int item_of(struct fsb_view *v, const struct fsb_entry *e, const struct fsb_message *m,
		   struct fsb_feed_item *it)
{
	memset(it, 0, sizeof *it);
	it->index = e->index;
	snprintf(it->id, sizeof it->id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	memcpy(it->origin, e->origin, sizeof it->origin);
	it->kind = e->kind;
	memcpy(it->category, e->category, sizeof it->category);
	it->issued_at_ms = e->issued_at_ms;
	it->arrival_ms = e->arrival_ms;
	it->direction = e->direction;
	it->status = e->status;
	it->readable = m != NULL;
	const char *subject = "", *unit = "";
	if (m) {
		struct fsb_case_facts f;
		fsb_message_case_facts(m, &f);
		unit = f.header.issuer;
		subject = f.subject && f.subject[0] ? f.subject : f.text && f.text[0] ? f.text : "";
		it->headline = f.type != FSB_FU_NONE ? fsb_followup_type_name(f.type)
			       : f.recall_class		? f.recall_class
			       : f.verdict		? f.verdict
						: f.notice_type;
	}
	it->subject = strdup(subject);
	it->unit = strdup(unit);
	if (!it->subject || !it->unit)
		return FSB_ENOMEM;
	struct fsb_case_row row;
	int rc = fsb_view_case(v, it->id, &row);
	if (rc == 0)
		memcpy(it->case_id, row.id, sizeof it->case_id);
	return rc == FSB_ENOTFOUND ? 0 : rc;
}

static void item_clear(struct fsb_feed_item *it)
{
	free(it->subject);
	free(it->unit);
	it->subject = it->unit = NULL;
}

struct page {
	struct fsb_query *q;
	const struct fsb_feed_filter *f;
	struct fsb_feed *out;
	size_t limit, looked;
};

static int page_take(void *ctx, uint64_t index)
{
	struct page *p = ctx;
	struct fsb_view *v = query_view(p->q);
	if (p->out->n == p->limit || p->looked == FSB_FEED_SCAN_MAX) {
		p->out->more = 1;
		return 1; /* stop: next says where */
	}
	p->looked++;
	p->out->next = index;
	struct fsb_entry e;
	int rc = fsb_view_get(v, index, &e);
	if (rc)
		return rc == FSB_ENOTFOUND ? 0 : rc;
	if ((p->f->origin && strcmp(e.origin, p->f->origin) != 0) ||
	    (p->f->category && strcmp(e.category, p->f->category) != 0))
		return 0;
	struct fsb_message *m = query_decode(&e);
	rc = item_of(v, &e, m, &p->out->items[p->out->n]);
	fsb_message_free(m);
	p->out->n++; /* even on failure: cleared with the rest */
	return rc;
}

static int newest_of(void *ctx, uint64_t index)
{
	*(uint64_t *)ctx = index;
	return 1;
}

int fsb_query_feed(struct fsb_query *q, const struct fsb_feed_filter *f, struct fsb_feed *out)
{
	memset(out, 0, sizeof *out);
	struct fsb_view *v = query_view(q);
	struct page p = {q, f, out, f->limit && f->limit < FSB_FEED_MAX ? f->limit : FSB_FEED_MAX, 0};
	if (!(out->items = calloc(p.limit, sizeof *out->items)))
		return FSB_ENOMEM;
	out->next = f->live ? f->after : 0;
	int rc = fsb_view_scan(v, FSB_KIND_NONE, 0, 1, newest_of, &out->newest);
	if (rc == 1)
		rc = 0;
	if (rc == 0) {
		uint64_t from = f->live ? f->after + 1 : f->before ? f->before - 1 : 0;
		if (f->live || f->before != 1)
			rc = fsb_view_scan(v, f->kind, from, !f->live, page_take, &p);
		if (rc == 1)
			rc = 0;
	}
	if (rc)
		fsb_feed_clear(out);
	return rc;
}

void fsb_feed_clear(struct fsb_feed *f)
{
	for (size_t i = 0; i < f->n; i++)
		item_clear(&f->items[i]);
	free(f->items);
	memset(f, 0, sizeof *f);
}

/* ---- one message ---------------------------------------------------------- */

static enum fsb_stream_link stream_link(struct fsb_view *v, const struct fsb_entry *e,
					const uint8_t *prev_hash)
{
	if (e->seq == 1)
		return FSB_LINK_FIRST;
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)(e->seq - 1));
	uint64_t index;
	struct fsb_entry prev;
	if (fsb_view_find_id(v, id, &index) || fsb_view_get(v, index, &prev))
		return FSB_LINK_NOT_HELD;
	return prev_hash && memcmp(prev_hash, prev.payload_hash, FSB_HASH_LEN) == 0 ? FSB_LINK_OK
										 : FSB_LINK_BROKEN;
}

/* The signature checked again, steps 1 to 3 of arrival (sign.h). */
static void verify(const struct fsb_recheck *check, const struct fsb_entry *e,
		   const struct fsb_envelope_view *ev, struct fsb_message_view *out)
{
	struct fsb_trust *trust = check->trust;
	int rc = fsb_trust_identity(trust, ev->signer_cert, ev->signer_cert_len, e->origin, NULL,
				    out->why, sizeof out->why);
	if (rc == 0)
		rc = fsb_trust_signature(trust, ev->signer_cert, ev->signer_cert_len,
					 FSB_DOMAIN_MESSAGE, ev->payload, ev->payload_len,
					 ev->signature, ev->signature_len, out->why, sizeof out->why);
	if (rc == 0)
		rc = fsb_trust_in_force(trust, ev->signer_cert, ev->signer_cert_len, e->issued_at_ms,
					e->arrival_ms, check->skew_ms, out->why, sizeof out->why);
	out->verified = rc == 0 ? 1 : -1;
	if (rc == 0)
		out->why[0] = '\0';
}

static int products_of(struct fsb_message_view *out)
{
	struct fsb_product_facts pf[FSB_MESSAGE_PRODUCTS];
	out->products_total = fsb_message_products(out->msg, pf, FSB_MESSAGE_PRODUCTS);
	out->n_products = out->products_total < FSB_MESSAGE_PRODUCTS ? out->products_total
								     : FSB_MESSAGE_PRODUCTS;
	for (size_t i = 0; i < out->n_products; i++) {
		struct fsb_message_product *p = &out->products[i];
		char link[160] = "";
		memcpy(p->gtin14, pf[i].gtin14, sizeof p->gtin14);
		p->link_given = pf[i].digital_link[0] != '\0';
		if (!p->link_given && p->gtin14[0] && !fsb_fmt_dl_make(p->gtin14, pf[i].lot, link, sizeof link))
			link[0] = '\0';
		p->name = strdup(pf[i].name);
		p->link = strdup(p->link_given ? pf[i].digital_link : link);
		if (!p->name || !p->link)
			return FSB_ENOMEM;
	}
	return 0;
}

int fsb_query_message(struct fsb_query *q, const char *id, const struct fsb_recheck *check,
		      struct fsb_message_view *out)
{
	memset(out, 0, sizeof *out);
	struct fsb_view *v = query_view(q);
	uint64_t index;
	struct fsb_entry e;
	int rc = fsb_view_find_id(v, id, &index);
	if (rc == 0)
		rc = query_read(v, index, &e, &out->msg);
	if (rc == 0)
		rc = item_of(v, &e, out->msg, &out->item);
	if (rc == 0)
		rc = fsb_view_link(v, index, &out->log_link);
	if (rc) {
		fsb_message_view_clear(out);
		return rc;
	}
	fsb_fmt_hex(e.payload_hash, FSB_HASH_LEN, out->payload_hash);
	fsb_fmt_hex(e.entry_hash, FSB_HASH_LEN, out->entry_hash);
	struct fsb_envelope_view ev;
	struct fsb_payload_peek pk;
	out->stream_link = FSB_LINK_NOT_HELD;
	if (fsb_envelope_view(e.envelope, e.envelope_len, &ev) == 0) {
		uint8_t fp[FSB_FP_LEN];
		fsb_sign_sha256(ev.signer_cert, ev.signer_cert_len, fp);
		fsb_fmt_hex(fp, FSB_FP_LEN, out->signer_fp);
		fsb_sign_cert_info(ev.signer_cert, ev.signer_cert_len, &out->signer);
		if (fsb_payload_peek(ev.payload, ev.payload_len, &pk) == 0)
			out->stream_link = stream_link(v, &e, pk.prev_hash);
		if (check && check->trust)
			verify(check, &e, &ev, out);
	}
	if (out->msg && (rc = products_of(out)))
		fsb_message_view_clear(out);
	return rc;
}

void fsb_message_view_clear(struct fsb_message_view *m)
{
	item_clear(&m->item);
	fsb_message_free(m->msg);
	for (size_t i = 0; i < m->n_products; i++) {
		free(m->products[i].name);
		free(m->products[i].link);
	}
	memset(m, 0, sizeof *m);
}
