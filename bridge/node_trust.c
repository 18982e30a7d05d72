/* node_trust.c - the node's trust kept current: newer CRLs from the
 * exchange, and the CA and CRL files read again when they change on disk
 * (inotify on their directories) or on SIGHUP.
 *
 * A file that would not pass `fsbridge check` leaves the trust in force and
 * is said; a CRL older than the one in force never replaces it.
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

/* ---- trust: CRLs from the exchange, trust files read again ------------------------------- */

/* Offers a CRL to the trust store; when adopted, keeps it in the store so
 * that a restart starts from it. Returns what fsb_trust_offer_crl() did. */
static int adopt_crl(struct node *n, const uint8_t *crl, size_t len, const char *from, char *why,
		     size_t whylen)
{
	struct fsb_crl_info info;
	int rc = fsb_trust_offer_crl(n->trust, crl, len, &info, why, whylen);
	uint8_t *der;
	size_t der_len;
	if (rc == 1 && fsb_sign_crl_der(crl, len, &der, &der_len) == 0) {
		if (fsb_store_put_crl(n->store, info.issuer, der, der_len))
			node_say(n, "ERROR", "cannot keep the CRL: %s", fsb_store_error(n->store));
		free(der);
	}
	if (rc == 1) {
		node_say(n, "INFO", "adopted CRL number %llu of CA \"%s\" (%zu revoked) from %s",
		    (unsigned long long)info.number, info.issuer, info.revoked, from);
	}
	return rc;
}

/* A CRL handed on over the exchange: authentic when a trusted CA signed it,
 * adopted when newer than the one in force. */
void node_on_crl(struct node *n, const struct fsb_topic *t, struct event *e)
{
	if (e->len == 0)
		return; /* a cleared retained message */
	char why[300], from[80];
	snprintf(from, sizeof from, "the exchange (%s)", t->origin);
	int rc = adopt_crl(n, e->payload, e->len, from, why, sizeof why);
	if (rc < 0)
		node_reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
}

/* The CRLs this node adopted before, offered again (after start-up, or to
 * a trust store just read from files that may be older). */
static void offer_kept_crls(struct node *n, struct fsb_trust *from)
{
	for (size_t i = 0; from && i < fsb_trust_n_anchors(from); i++) {
		size_t len;
		struct fsb_crl_info info;
		const uint8_t *crl = fsb_trust_crl(from, i, &len, &info);
		char why[300];
		if (crl && fsb_trust_offer_crl(n->trust, crl, len, NULL, why, sizeof why) == 1)
			node_say(n, "INFO", "CRL number %llu of CA \"%s\" stays in force: the file's is older",
			    (unsigned long long)info.number, info.issuer);
	}
}

/* The trust files changed (or SIGHUP): read them again, as `fsbridge check`
 * would. A file that does not make a valid trust store changes nothing (an
 * error line says why); a CRL older than the one in force does not replace
 * it. */
void node_reload_trust(struct node *n)
{
	struct fsb_trust *fresh = NULL, *old = n->trust;
	char err[512];
	if (fsb_trust_open_files(n->cfg->ca_files, n->cfg->crl_files, n->cfg->n_ca, &fresh, err, sizeof err)) {
		node_say(n, "ERROR", "trust files changed but cannot be used: %s; the trust in force stays", err);
		return;
	}
	n->trust = fresh;
	offer_kept_crls(n, old);
	fsb_trust_close(old);
	for (size_t i = 0; i < fsb_trust_n_anchors(n->trust); i++) {
		size_t len;
		struct fsb_crl_info info;
		if (fsb_trust_crl(n->trust, i, &len, &info))
			node_say(n, "INFO", "trust read again: CA \"%s\", CRL number %llu, %zu revoked", info.issuer,
			    (unsigned long long)info.number, info.revoked);
	}
	if (fsb_trust_check_signer(n->trust, n->signer, n->origin, fsb_fmt_now_ms(), err, sizeof err))
		node_say(n, "ALARM", "this node's own signing certificate is no longer accepted: %s", err);
}

/* Watches the directories of the trust files (editors and tools replace a
 * file by renaming a new one over it). */
void node_watch_trust(struct node *n)
{
	const struct fsb_config *cfg = n->cfg;
	for (size_t i = 0; i < cfg->n_ca + cfg->n_crl; i++) {
		const char *f = i < cfg->n_ca ? cfg->ca_files[i] : cfg->crl_files[i - cfg->n_ca];
		if (!f)
			continue;
		char buf[600];
		snprintf(buf, sizeof buf, "%s", f);
		const char *dir = dirname(buf);
		if (inotify_add_watch(n->watch_fd, dir,
				      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0)
			node_say(n, "WARN", "cannot watch %s for changes to %s: %s; SIGHUP still reads it again",
			    dir, f, strerror(errno));
	}
}

/* Whether an inotify event names one of the trust files. */
static int is_trust_file(const struct node *n, const char *name)
{
	const struct fsb_config *cfg = n->cfg;
	for (size_t i = 0; i < cfg->n_ca + cfg->n_crl; i++) {
		const char *f = i < cfg->n_ca ? cfg->ca_files[i] : cfg->crl_files[i - cfg->n_ca];
		const char *base = f ? strrchr(f, '/') : NULL;
		if (base && strcmp(base + 1, name) == 0)
			return 1;
	}
	return 0;
}

/* Reads what inotify says: the data directory's notify file (an outbox to
 * node_publish), or a trust file (read again once it settles). */
void node_read_watch(struct node *n, int64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;
	while ((len = read(n->watch_fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->wd == n->data_wd)
				n->outbox_dirty = 1;
			else if (ev->len && is_trust_file(n, ev->name))
				n->trust_due = now + TRUST_SETTLE_MS;
			p += sizeof *ev + ev->len;
		}
	}
}

