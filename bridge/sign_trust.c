/* sign_trust.c - the trust store: exchange CAs, their CRLs, and a cache of
 * chain results per signer certificate.
 *
 * mbedTLS's own chain check judges validity and revocation against the
 * current time, which is right for neither question fsbridge asks (DESIGN.md
 * section 6): expiry is judged at the message's issued_at, revocation at its
 * arrival. So the chain is checked by mbedTLS with its time flags masked,
 * and validity windows and CRL entries are compared here, from values kept
 * in the cache entry. A CRL is accepted at start-up only if its CA signed it.
 */
#include "sign_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/x509_crl.h>

#include "error.h"
#include "format.h"

#define CACHE_SLOTS 256 /* power of two */
#define NAME_MAX_LEN 96

struct anchor {
	mbedtls_x509_crl crl; /* empty when the CA has none ("none") */
	int has_crl;
	const mbedtls_x509_crt *signer; /* the trusted CA whose key signed crl */
};

struct entry {
	int used;
	uint8_t fp[FSB_FP_LEN];
	int rc;                  /* result of the chain check */
	char why[200];           /* its detail when rc != 0 */
	mbedtls_x509_crt crt;    /* parsed, for its key and names */
	int64_t not_before_ms, not_after_ms;
	int64_t ca_not_before_ms, ca_not_after_ms;
	int64_t revoked_at_ms;   /* INT64_MAX when not in its CA's CRL */
	char serial[64];
	char ca_name[NAME_MAX_LEN];
};

struct fsb_trust {
	mbedtls_x509_crt cas; /* every trusted CA, as one chain */
	struct anchor *anchors;
	size_t n_anchors;
	struct entry *cache;
	size_t cache_used;
};

static int64_t x509_ms(const mbedtls_x509_time *t)
{
	return fsb_time_ms(t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* Finds the trusted CA that issued and signed crl (two CAs may share a
 * name, so the signature decides); NULL with err set when none did. */
static const mbedtls_x509_crt *crl_signer(struct fsb_trust *t, const mbedtls_x509_crl *crl,
					  const char *crl_file, const char *ca_file, char *err,
					  size_t errlen)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crl->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	int named = 0, mrc = 0;
	if (md && mbedtls_md(md, crl->tbs.p, crl->tbs.len, hash) == 0) {
		for (const mbedtls_x509_crt *ca = &t->cas; ca && ca->raw.p; ca = ca->next) {
			if (ca->subject_raw.len != crl->issuer_raw.len ||
			    memcmp(ca->subject_raw.p, crl->issuer_raw.p, crl->issuer_raw.len) != 0)
				continue;
			named = 1;
			mrc = mbedtls_pk_verify_ext(crl->sig_pk, crl->sig_opts,
						    (mbedtls_pk_context *)&ca->pk, crl->sig_md, hash,
						    mbedtls_md_get_size(md), crl->sig.p, crl->sig.len);
			if (mrc == 0)
				return ca;
		}
	}
	if (named)
		fsb_sign_error(err, errlen, mrc, "CRL %s is not signed by the CA in %s", crl_file,
			       ca_file);
	else
		fsb_sign_error(err, errlen, 0, "CRL %s was not issued by the CA in %s", crl_file,
			       ca_file);
	return NULL;
}

int fsb_trust_open(const struct fsb_trust_anchor *anchors, size_t n, struct fsb_trust **out,
		   char *err, size_t errlen)
{
	*out = NULL;
	if (n == 0) {
		fsb_sign_error(err, errlen, 0, "no trusted CA configured");
		return FSB_EINVAL;
	}
	struct fsb_trust *t = calloc(1, sizeof *t);
	if (!t)
		return FSB_ENOMEM;
	mbedtls_x509_crt_init(&t->cas);
	t->anchors = calloc(n, sizeof *t->anchors);
	t->cache = calloc(CACHE_SLOTS, sizeof *t->cache);
	int rc = FSB_ENOMEM;
	if (!t->anchors || !t->cache)
		goto fail;
	t->n_anchors = n;
	for (size_t i = 0; i < n; i++)
		mbedtls_x509_crl_init(&t->anchors[i].crl);
	rc = FSB_ECERT;
	for (size_t i = 0; i < n; i++) {
		mbedtls_x509_crt one;
		mbedtls_x509_crt_init(&one);
		int mrc = mbedtls_x509_crt_parse_file(&one, anchors[i].ca_file);
		int is_ca = mrc == 0 && one.ca_istrue;
		mbedtls_x509_crt_free(&one);
		if (mrc) {
			fsb_sign_error(err, errlen, mrc, "cannot load CA certificate %s", anchors[i].ca_file);
			goto fail;
		}
		if (!is_ca) {
			fsb_sign_error(err, errlen, 0, "%s is not a CA certificate (basicConstraints CA:false)",
				       anchors[i].ca_file);
			goto fail;
		}
		mbedtls_x509_crt_parse_file(&t->cas, anchors[i].ca_file);
	}
	for (size_t i = 0; i < n; i++) {
		if (!anchors[i].crl_file)
			continue;
		struct anchor *a = &t->anchors[i];
		int mrc = mbedtls_x509_crl_parse_file(&a->crl, anchors[i].crl_file);
		if (mrc) {
			fsb_sign_error(err, errlen, mrc, "cannot load CRL %s", anchors[i].crl_file);
			goto fail;
		}
		a->has_crl = 1;
		if (a->crl.next) {
			fsb_sign_error(err, errlen, 0, "%s holds several CRLs; give one per CA",
				       anchors[i].crl_file);
			goto fail;
		}
		a->signer = crl_signer(t, &a->crl, anchors[i].crl_file, anchors[i].ca_file, err,
				       errlen);
		if (!a->signer)
			goto fail;
	}
	*out = t;
	return 0;
fail:
	fsb_trust_close(t);
	return rc;
}

void fsb_trust_close(struct fsb_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->cache && i < CACHE_SLOTS; i++)
		if (t->cache[i].used)
			mbedtls_x509_crt_free(&t->cache[i].crt);
	for (size_t i = 0; t->anchors && i < t->n_anchors; i++)
		mbedtls_x509_crl_free(&t->anchors[i].crl);
	mbedtls_x509_crt_free(&t->cas);
	free(t->anchors);
	free(t->cache);
	free(t);
}

static size_t slot_of(const uint8_t fp[FSB_FP_LEN])
{
	return ((size_t)fp[0] | (size_t)fp[1] << 8) & (CACHE_SLOTS - 1);
}

static struct entry *cache_find(struct fsb_trust *t, const uint8_t fp[FSB_FP_LEN])
{
	for (size_t i = 0, s = slot_of(fp); i < CACHE_SLOTS; i++, s = (s + 1) & (CACHE_SLOTS - 1)) {
		struct entry *e = &t->cache[s];
		if (!e->used)
			return NULL;
		if (memcmp(e->fp, fp, FSB_FP_LEN) == 0)
			return e;
	}
	return NULL;
}

/* A free slot for fp; the cache is emptied when three quarters full, which
 * keeps probes short and memory bounded whatever certificates arrive. */
static struct entry *cache_slot(struct fsb_trust *t, const uint8_t fp[FSB_FP_LEN])
{
	if (t->cache_used >= CACHE_SLOTS * 3 / 4) {
		/* Forgetting costs one chain check per certificate seen again. */
		for (size_t i = 0; i < CACHE_SLOTS; i++)
			if (t->cache[i].used)
				mbedtls_x509_crt_free(&t->cache[i].crt);
		memset(t->cache, 0, CACHE_SLOTS * sizeof *t->cache);
		t->cache_used = 0;
	}
	size_t s = slot_of(fp);
	while (t->cache[s].used)
		s = (s + 1) & (CACHE_SLOTS - 1);
	t->cache_used++;
	return &t->cache[s];
}

/* mbedtls_x509_crt_verify() callback: remembers the certificate at depth
 * 1, the CA that actually signed the leaf. */
static int note_issuer(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)flags;
	if (depth == 1)
		*(const mbedtls_x509_crt **)ctx = crt;
	return 0;
}

/* When crt appears in the CRL signed by its issuer: the revocation time;
 * INT64_MAX when it does not. */
static int64_t revoked_at(const struct fsb_trust *t, const mbedtls_x509_crt *crt,
			  const mbedtls_x509_crt *issuer)
{
	int64_t when = INT64_MAX;
	for (size_t i = 0; i < t->n_anchors; i++) {
		const struct anchor *a = &t->anchors[i];
		if (!a->has_crl || a->signer != issuer)
			continue;
		for (const mbedtls_x509_crl_entry *e = &a->crl.entry; e && e->raw.p; e = e->next)
			if (e->serial.len == crt->serial.len &&
			    memcmp(e->serial.p, crt->serial.p, crt->serial.len) == 0 &&
			    x509_ms(&e->revocation_date) < when)
				when = x509_ms(&e->revocation_date);
	}
	return when;
}

/* Parses and checks a certificate not seen before, filling e. */
static void check_chain(struct fsb_trust *t, struct entry *e, const uint8_t *der, size_t len)
{
	mbedtls_x509_crt *crt = &e->crt;
	int mrc = mbedtls_x509_crt_parse_der(crt, der, len);
	e->rc = FSB_ECERT;
	if (mrc) {
		fsb_sign_error(e->why, sizeof e->why, mrc, "signer certificate is not valid X.509");
		return;
	}
	if (mbedtls_pk_get_type(&crt->pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(crt->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		fsb_sign_error(e->why, sizeof e->why, 0, "signer certificate key is not EC P-256");
		return;
	}
	if (crt->ca_istrue) {
		fsb_sign_error(e->why, sizeof e->why, 0, "signer certificate is a CA certificate");
		return;
	}
	if (mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0) {
		fsb_sign_error(e->why, sizeof e->why, 0, "signer certificate's key usage forbids signing");
		return;
	}
	uint32_t flags = 0;
	const mbedtls_x509_crt *ca = NULL;
	mbedtls_x509_crt_verify(crt, &t->cas, NULL, NULL, &flags, note_issuer, &ca);
	flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	char cn[NAME_MAX_LEN];
	fsb_sign_crt_cn(crt, cn, sizeof cn);
	if (flags || !ca) {
		char info[256] = "";
		mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
		info[strcspn(info, "\n")] = '\0';
		fsb_sign_error(e->why, sizeof e->why, 0,
			       "signer certificate \"%s\" does not chain to a trusted CA%s%s", cn,
			       info[0] ? ": " : "", info);
		e->rc = FSB_EUNTRUSTED;
		return;
	}
	e->not_before_ms = x509_ms(&crt->valid_from);
	e->not_after_ms = x509_ms(&crt->valid_to);
	e->ca_not_before_ms = x509_ms(&ca->valid_from);
	e->ca_not_after_ms = x509_ms(&ca->valid_to);
	e->revoked_at_ms = revoked_at(t, crt, ca);
	mbedtls_x509_serial_gets(e->serial, sizeof e->serial, &crt->serial);
	fsb_sign_crt_cn(ca, e->ca_name, sizeof e->ca_name);
	e->rc = 0;
}

int fsb_trust_verify(struct fsb_trust *t, const uint8_t *cert, size_t cert_len, enum fsb_domain d,
		     const uint8_t *payload, size_t len, const uint8_t *sig, size_t sig_len,
		     uint8_t fp[FSB_FP_LEN], char *err, size_t errlen)
{
	fsb_sha256(cert, cert_len, fp);
	struct entry *e = cache_find(t, fp);
	if (!e) {
		e = cache_slot(t, fp);
		e->used = 1;
		memcpy(e->fp, fp, FSB_FP_LEN);
		mbedtls_x509_crt_init(&e->crt);
		check_chain(t, e, cert, cert_len);
	}
	if (e->rc) {
		fsb_sign_error(err, errlen, 0, "%s", e->why);
		return e->rc;
	}
	uint8_t hash[FSB_SHA256_LEN];
	fsb_sign_digest(d, payload, len, hash);
	int mrc = mbedtls_pk_verify(&e->crt.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sig_len);
	if (mrc) {
		fsb_sign_error(err, errlen, mrc, "signature does not verify");
		return FSB_ESIGNATURE;
	}
	return 0;
}

int fsb_trust_check_use(struct fsb_trust *t, const uint8_t fp[FSB_FP_LEN], const char *origin,
			int64_t issued_at_ms, int64_t arrival_ms, char *err, size_t errlen)
{
	struct entry *e = cache_find(t, fp);
	if (!e || e->rc) {
		fsb_sign_error(err, errlen, 0, "certificate was not verified first");
		return FSB_EINVAL;
	}
	char a[FSB_TIME_MAX + 1], b[FSB_TIME_MAX + 1], c[FSB_TIME_MAX + 1];
	if (!fsb_sign_crt_names(&e->crt, origin)) {
		char cn[NAME_MAX_LEN];
		fsb_sign_crt_cn(&e->crt, cn, sizeof cn);
		fsb_sign_error(err, errlen, 0, "signer certificate \"%s\" does not name origin \"%s\"",
			       cn, origin);
		return FSB_EORIGIN;
	}
	if (e->revoked_at_ms <= arrival_ms) {
		fsb_time_format(e->revoked_at_ms, a);
		fsb_sign_error(err, errlen, 0,
			       "signer certificate (serial %s) revoked at %s by CA \"%s\"", e->serial, a,
			       e->ca_name);
		return FSB_EREVOKED;
	}
	if (issued_at_ms < e->not_before_ms || issued_at_ms > e->not_after_ms) {
		fsb_time_format(e->not_before_ms, a);
		fsb_time_format(e->not_after_ms, b);
		fsb_time_format(issued_at_ms, c);
		fsb_sign_error(err, errlen, 0,
			       "signer certificate (serial %s) valid %s to %s, not at issuedAt %s",
			       e->serial, a, b, c);
		return FSB_EEXPIRED;
	}
	if (issued_at_ms < e->ca_not_before_ms || issued_at_ms > e->ca_not_after_ms) {
		fsb_time_format(issued_at_ms, c);
		fsb_sign_error(err, errlen, 0, "CA \"%s\" was not valid at issuedAt %s", e->ca_name, c);
		return FSB_EEXPIRED;
	}
	return 0;
}
