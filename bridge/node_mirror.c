/* node_mirror.c - the agency's side: JSON submissions from the local
 * broker into the outbox, and every received entry mirrored to the local
 * broker as JSON.
 *
 * The mirror follows the log: every received entry after the saved
 * position goes to the local broker within its window, and the position
 * acknowledged is saved, so an outage of the local broker or a restart
 * loses nothing (a few may be sent twice).
 */
#include "node_shared.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "seal.h"
#include "submit.h"

/* ---- the inbox mirror -------------------------------------------------------------------- */

struct mirror_walk {
	struct node *n;
	int stop;
};

static int mirror_one(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct mirror_walk *w = ctx;
	struct node *n = w->n;
	(void)chain;
	if (n->local_inflight >= node_window(n, CONN_LOCAL))
		return 1;
	n->mirror_upto = e->index;
	if (e->direction != FSB_DIR_RECEIVED)
		return 0;
	struct fsb_envelope_view v;
	struct fsb_message *m = NULL;
	char topic[FSB_TOPIC_MAX], *json;
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v) ||
	    fsb_message_unpack(v.payload, v.payload_len, v.payload_len, &m, NULL))
		return 0; /* audit verify will node_say why */
	if (fsb_topic_inbox(topic, n->cfg->local_root, e->origin, e->kind, e->category) &&
	    fsb_message_to_json(m, 0, &json) == 0) {
		if (fsb_transport_publish(n->c[CONN_LOCAL].m, topic, json, strlen(json), 0, e->index, NULL) == 0)
			n->local_inflight++;
		else
			w->stop = 1, n->mirror_upto = e->index - 1;
		free(json);
	}
	fsb_message_free(m);
	return w->stop;
}

/* Mirrors what the log holds beyond mirror_upto, within the local node_window. */
void node_run_mirror(struct node *n)
{
	if (!n->c[CONN_LOCAL].connected || !n->mirror_dirty)
		return;
	n->mirror_dirty = 0;
	struct mirror_walk w = {n, 0};
	uint64_t before = n->mirror_upto;
	if (fsb_store_walk(n->store, n->mirror_upto + 1, mirror_one, &w) == 1 ||
	    n->mirror_upto != before)
		n->mirror_dirty = 1; /* more to do when acknowledgements come */
}

void node_save_mirror(struct node *n, int64_t now, int force)
{
	if (n->mirror_acked == 0 || (!force && now - n->mirror_saved_at < MIRROR_NOTE_MS))
		return;
	char note[32];
	snprintf(note, sizeof note, "%llu", (unsigned long long)n->mirror_acked);
	fsb_store_put_note(n->store, "mirror", note);
	n->mirror_saved_at = now;
}

void node_load_mirror(struct node *n)
{
	char *note = NULL;
	if (fsb_store_get_note(n->store, "mirror", &note) == 0) {
		n->mirror_upto = n->mirror_acked = strtoull(note, NULL, 10);
	} else {
		/* A new node mirrors what it receives from now on. */
		struct fsb_store_stats st;
		if (fsb_store_stats(n->store, &st) == 0)
			n->mirror_upto = n->mirror_acked = st.last_index;
	}
	free(note);
	n->mirror_dirty = 1;
}


/* ---- the agency's side ------------------------------------------------------------------- */

static void reply(struct node *n, struct event *e, const char *json)
{
	const char *topic = e->response_topic ? e->response_topic : n->result_topic;
	struct fsb_transport_reply r = {e->correlation, e->correlation_len};
	if (n->c[CONN_LOCAL].connected) {
		n->q_must = 1; /* an agency waits for this answer */
		fsb_transport_publish(n->c[CONN_LOCAL].m, topic, json, strlen(json), 0, 0, &r);
		n->q_must = 0;
	}
}

void node_on_local_message(struct node *n, struct event *e)
{
	enum fsb_kind kind = fsb_topic_submit_kind(e->topic, n->cfg->local_root);
	if (kind == FSB_KIND_NONE)
		return; /* our own inbox and results, echoed */
	struct fsb_errlist *errs = malloc(sizeof *errs);
	struct fsb_message *m = NULL;
	char *json = NULL, err[512];
	if (!errs)
		return;
	fsb_errlist_init(errs);
	if (fsb_submission_check((const char *)e->payload, e->len, kind, n->origin,
				 n->cfg->max_message_bytes, &m, NULL, errs) == 0) {
		size_t before = fsb_errlist_count(errs);
		if (fsb_submit_commit(n->store, n->signer, n->origin, &m, 1, NULL, errs, err,
				      sizeof err) == 0) {
			struct fsb_header h;
			fsb_message_header(m, &h);
			fsb_reply_json(h.message_id, NULL, &json);
			node_say(n, "INFO", "accepted %s from the local broker", h.message_id);
			n->outbox_dirty = 1;
			node_want_checkpoint(n);
		} else if (fsb_errlist_count(errs) == before) {
			fsb_errlist_add(errs, "", "%s", err);
		}
	}
	if (!json)
		fsb_reply_json(NULL, errs, &json);
	if (json)
		reply(n, e, json);
	free(json);
	fsb_message_free(m);
	free(errs);
}

