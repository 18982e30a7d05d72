/* sign_trust.c - the trust store: exchange CAs, their CRLs, and a cache of
 * what is known of each signer certificate.
 *
 * mbedTLS's own chain check judges validity and revocation against the
 * current time, which is right for none of the questions fsbridge asks
 * (PROTOCOL.md): a certificate must be in force when the message arrives,
 * and valid at the issued_at the message claims. So the chain is checked by
 * mbedTLS with its time flags masked, and validity windows and CRL entries
 * are compared here, from values kept in the cache entry.
 *
 * A CRL is accepted only if a trusted CA signed it; a newer one (higher CRL
 * number) replaces the one held, and the cache is emptied so that every
 * certificate is judged again against it.
 */
#include "sign_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>

#include "error.h"
#include "format.h"

#define CACHE_SLOTS 256 /* power of two */
#define NAME_MAX_LEN 96

struct anchor {
	const mbedtls_x509_crt *ca; /* the trusted CA of this anchor (in cas) */
	mbedtls_x509_crl crl;       /* empty when it has none ("none") */
	int has_crl;
	uint64_t crl_number;
};

struct entry {
	int used;
	uint8_t fp[FSB_FP_LEN];
	int rc;                  /* result of the chain and purpose check */
	char why[240];           /* its detail when rc != 0 */
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

/* The CRL number (RFC 5280, 5.2.3) from a parsed CRL's extensions; 0 when
 * it has none or it does not fit 64 bits. mbedTLS keeps the extensions
 * unparsed: crl_ext is the content of the [0] tag, a SEQUENCE OF
 * Extension. */
static uint64_t crl_number(const mbedtls_x509_crl *crl)
{
	static const unsigned char oid_crl_number[] = {0x55, 0x1d, 0x14}; /* 2.5.29.20 */
	unsigned char *p = crl->crl_ext.p;
	const unsigned char *end;
	size_t len;
	if (!p || crl->crl_ext.len == 0)
		return 0;
	end = p + crl->crl_ext.len;
	if (*p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED) &&
	    mbedtls_asn1_get_tag(&p, end, &len,
				 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED) != 0)
		return 0;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return 0;
	end = p + len;
	while (p < end) {
		unsigned char *ext_end;
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			return 0;
		ext_end = p + len;
		mbedtls_x509_buf oid;
		if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len, MBEDTLS_ASN1_OID))
			return 0;
		oid.p = p;
		p += oid.len;
		int critical = 0;
		mbedtls_asn1_get_bool(&p, ext_end, &critical); /* optional */
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING))
			return 0;
		if (oid.len == sizeof oid_crl_number &&
		    memcmp(oid.p, oid_crl_number, sizeof oid_crl_number) == 0) {
			if (mbedtls_asn1_get_tag(&p, p + len, &len, MBEDTLS_ASN1_INTEGER) || len == 0)
				return 0;
			while (len > 1 && *p == 0)
				p++, len--;
			if (len > 8)
				return 0;
			uint64_t n = 0;
			for (size_t i = 0; i < len; i++)
				n = n << 8 | p[i];
			return n;
		}
		p = ext_end;
	}
	return 0;
}

static void describe_crl(const mbedtls_x509_crl *crl, struct fsb_crl_info *info)
{
	if (!info)
		return;
	memset(info, 0, sizeof *info);
	for (const mbedtls_x509_name *n = &crl->issuer; n; n = n->next)
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			snprintf(info->issuer, sizeof info->issuer, "%.*s", (int)n->val.len,
				 (const char *)n->val.p);
			break;
		}
	info->number = crl_number(crl);
	info->this_update_ms = fsb_sign_x509_ms(&crl->this_update);
	for (const mbedtls_x509_crl_entry *e = &crl->entry; e && e->raw.p; e = e->next)
		info->revoked++;
}

/* The trusted CA that issued and signed crl (two CAs may share a name, so
 * the signature decides); NULL when none did, with *named telling whether
 * a trusted CA at least bears the issuer's name, and *mrc mbedTLS's code. */
static const mbedtls_x509_crt *crl_signer(struct fsb_trust *t, const mbedtls_x509_crl *crl,
					  int *named, int *mrc)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crl->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	*named = 0;
	*mrc = 0;
	if (!md || mbedtls_md(md, crl->tbs.p, crl->tbs.len, hash) != 0)
		return NULL;
	for (const mbedtls_x509_crt *ca = &t->cas; ca && ca->raw.p; ca = ca->next) {
		if (ca->subject_raw.len != crl->issuer_raw.len ||
		    memcmp(ca->subject_raw.p, crl->issuer_raw.p, crl->issuer_raw.len) != 0)
			continue;
		*named = 1;
		*mrc = mbedtls_pk_verify_ext(crl->sig_pk, crl->sig_opts, (mbedtls_pk_context *)&ca->pk,
					     crl->sig_md, hash, mbedtls_md_get_size(md), crl->sig.p,
					     crl->sig.len);
		if (*mrc == 0)
			return ca;
	}
	return NULL;
}

static struct anchor *anchor_of(struct fsb_trust *t, const mbedtls_x509_crt *ca)
{
	for (size_t i = 0; i < t->n_anchors; i++)
		if (t->anchors[i].ca == ca)
			return &t->anchors[i];
	return NULL;
}

static void cache_clear(struct fsb_trust *t)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (t->cache[i].used)
			mbedtls_x509_crt_free(&t->cache[i].crt);
	memset(t->cache, 0, CACHE_SLOTS * sizeof *t->cache);
	t->cache_used = 0;
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
		/* The file's first certificate is the anchor's CA: the one the
		 * chain gains at its end. */
		size_t before = 0;
		for (const mbedtls_x509_crt *c = &t->cas; c && c->raw.p; c = c->next)
			before++;
		mbedtls_x509_crt_parse_file(&t->cas, anchors[i].ca_file);
		const mbedtls_x509_crt *ca = &t->cas;
		for (size_t k = 0; k < before; k++)
			ca = ca->next;
		t->anchors[i].ca = ca;
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
		int named, mrc2;
		if (crl_signer(t, &a->crl, &named, &mrc2) != a->ca) {
			if (named)
				fsb_sign_error(err, errlen, mrc2, "CRL %s is not signed by the CA in %s",
					       anchors[i].crl_file, anchors[i].ca_file);
			else
				fsb_sign_error(err, errlen, 0, "CRL %s was not issued by the CA in %s",
					       anchors[i].crl_file, anchors[i].ca_file);
			goto fail;
		}
		a->crl_number = crl_number(&a->crl);
	}
	*out = t;
	return 0;
fail:
	fsb_trust_close(t);
	return rc;
}

int fsb_trust_open_files(char *const *ca_files, char *const *crl_files, size_t n,
			 struct fsb_trust **out, char *err, size_t errlen)
{
	struct fsb_trust_anchor *anchors = calloc(n ? n : 1, sizeof *anchors);
	if (!anchors)
		return FSB_ENOMEM;
	for (size_t i = 0; i < n; i++)
		anchors[i] = (struct fsb_trust_anchor){ca_files[i], crl_files[i]};
	int rc = fsb_trust_open(anchors, n, out, err, errlen);
	free(anchors);
	return rc;
}

void fsb_trust_close(struct fsb_trust *t)
{
	if (!t)
		return;
	if (t->cache)
		cache_clear(t);
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
 * keeps probes short and memory bounded whatever certificates arrive.
 * Forgetting costs one chain check per certificate seen again. */
static struct entry *cache_slot(struct fsb_trust *t, const uint8_t fp[FSB_FP_LEN])
{
	if (t->cache_used >= CACHE_SLOTS * 3 / 4)
		cache_clear(t);
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

/* When crt appears in the CRL held for its issuer: the revocation time;
 * INT64_MAX when it does not. */
static int64_t revoked_at(struct fsb_trust *t, const mbedtls_x509_crt *crt,
			  const mbedtls_x509_crt *issuer)
{
	int64_t when = INT64_MAX;
	const struct anchor *a = anchor_of(t, issuer);
	if (!a || !a->has_crl)
		return when;
	for (const mbedtls_x509_crl_entry *e = &a->crl.entry; e && e->raw.p; e = e->next)
		if (e->serial.len == crt->serial.len &&
		    memcmp(e->serial.p, crt->serial.p, crt->serial.len) == 0 &&
		    fsb_sign_x509_ms(&e->revocation_date) < when)
			when = fsb_sign_x509_ms(&e->revocation_date);
	return when;
}

/* Whether crt is for signing fsbridge messages and nothing else: its
 * extended key usage names FSB_EKU_SIGNING, and no TLS purpose (a TLS key
 * lives on servers and in client configurations, and must never be able
 * to speak for a province). 0, or FSB_ECERT with why set. */
static int check_purpose(const mbedtls_x509_crt *crt, char *why, size_t cap)
{
	static const char signing[] = FSB_EKU_SIGNING_DER;
	if (mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0) {
		fsb_sign_error(why, cap, 0, "signer certificate's key usage forbids signing");
		return FSB_ECERT;
	}
	int has_signing = 0;
	const char *tls = NULL;
	if (crt->ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE)
		for (const mbedtls_x509_sequence *s = &crt->ext_key_usage; s && s->buf.p; s = s->next) {
			if (s->buf.len == sizeof signing - 1 &&
			    memcmp(s->buf.p, signing, sizeof signing - 1) == 0)
				has_signing = 1;
			else if (MBEDTLS_OID_CMP(MBEDTLS_OID_SERVER_AUTH, &s->buf) == 0)
				tls = "serverAuth";
			else if (MBEDTLS_OID_CMP(MBEDTLS_OID_CLIENT_AUTH, &s->buf) == 0)
				tls = "clientAuth";
			else if (MBEDTLS_OID_CMP(MBEDTLS_OID_ANY_EXTENDED_KEY_USAGE, &s->buf) == 0)
				tls = "anyExtendedKeyUsage";
		}
	if (tls) {
		fsb_sign_error(why, cap, 0,
			       "signer certificate is for TLS (extended key usage %s), not an fsbridge signing certificate",
			       tls);
		return FSB_ECERT;
	}
	if (!has_signing) {
		fsb_sign_error(why, cap, 0,
			       "signer certificate lacks the fsbridge signing extended key usage " FSB_EKU_SIGNING);
		return FSB_ECERT;
	}
	return 0;
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
	if ((e->rc = check_purpose(crt, e->why, sizeof e->why)))
		return;
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
	e->not_before_ms = fsb_sign_x509_ms(&crt->valid_from);
	e->not_after_ms = fsb_sign_x509_ms(&crt->valid_to);
	e->ca_not_before_ms = fsb_sign_x509_ms(&ca->valid_from);
	e->ca_not_after_ms = fsb_sign_x509_ms(&ca->valid_to);
	e->revoked_at_ms = revoked_at(t, crt, ca);
	mbedtls_x509_serial_gets(e->serial, sizeof e->serial, &crt->serial);
	fsb_sign_crt_cn(ca, e->ca_name, sizeof e->ca_name);
	e->rc = 0;
}

/* The cache entry of a certificate, checked on first sight. */
static struct entry *lookup(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
			    uint8_t fp[FSB_FP_LEN])
{
	fsb_sign_sha256(cert, cert_len, fp);
	struct entry *e = cache_find(t, fp);
	if (!e) {
		e = cache_slot(t, fp);
		e->used = 1;
		memcpy(e->fp, fp, FSB_FP_LEN);
		mbedtls_x509_crt_init(&e->crt);
		check_chain(t, e, cert, cert_len);
	}
	return e;
}

int fsb_trust_identity(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
		       const char *origin, uint8_t fp[FSB_FP_LEN], char *err, size_t errlen)
{
	uint8_t local[FSB_FP_LEN];
	struct entry *e = lookup(t, cert, cert_len, fp ? fp : local);
	if (e->rc) {
		fsb_sign_error(err, errlen, 0, "%s", e->why);
		return e->rc;
	}
	if (origin && !fsb_sign_crt_names(&e->crt, origin)) {
		char cn[NAME_MAX_LEN];
		fsb_sign_crt_cn(&e->crt, cn, sizeof cn);
		fsb_sign_error(err, errlen, 0, "signer certificate \"%s\" does not name origin \"%s\"",
			       cn, origin);
		return FSB_EORIGIN;
	}
	return 0;
}

int fsb_trust_signature(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
			enum fsb_domain d, const uint8_t *payload, size_t len, const uint8_t *sig,
			size_t sig_len, char *err, size_t errlen)
{
	uint8_t fp[FSB_FP_LEN], hash[FSB_SHA256_LEN];
	struct entry *e = lookup(t, cert, cert_len, fp);
	if (e->rc) {
		fsb_sign_error(err, errlen, 0, "%s", e->why);
		return e->rc;
	}
	fsb_sign_digest(d, payload, len, hash);
	int mrc = mbedtls_pk_verify(&e->crt.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sig_len);
	if (mrc) {
		fsb_sign_error(err, errlen, mrc, "signature does not verify");
		return FSB_ESIGNATURE;
	}
	return 0;
}

/* Whether the certificate and its CA were valid at `when`, give or take
 * slack_ms; FSB_EEXPIRED with err naming the moment (`at`) otherwise. */
static int valid_at(const struct entry *e, int64_t when, int64_t slack_ms, const char *at,
		    char *err, size_t errlen)
{
	char a[FSB_TIME_MAX + 1], b[FSB_TIME_MAX + 1], c[FSB_TIME_MAX + 1];
	fsb_fmt_time(when, c);
	if (when + slack_ms < e->not_before_ms || when - slack_ms > e->not_after_ms) {
		fsb_fmt_time(e->not_before_ms, a);
		fsb_fmt_time(e->not_after_ms, b);
		fsb_sign_error(err, errlen, 0, "signer certificate (serial %s) valid %s to %s, not at %s %s",
			       e->serial, a, b, at, c);
		return FSB_EEXPIRED;
	}
	if (when + slack_ms < e->ca_not_before_ms || when - slack_ms > e->ca_not_after_ms) {
		fsb_sign_error(err, errlen, 0, "CA \"%s\" was not valid at %s %s", e->ca_name, at, c);
		return FSB_EEXPIRED;
	}
	return 0;
}

int fsb_trust_in_force(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
		       int64_t issued_at_ms, int64_t arrival_ms, int64_t skew_ms, char *err,
		       size_t errlen)
{
	uint8_t fp[FSB_FP_LEN];
	struct entry *e = lookup(t, cert, cert_len, fp);
	if (e->rc) {
		fsb_sign_error(err, errlen, 0, "%s", e->why);
		return e->rc;
	}
	if (e->revoked_at_ms <= arrival_ms) {
		char a[FSB_TIME_MAX + 1], c[FSB_TIME_MAX + 1];
		fsb_fmt_time(e->revoked_at_ms, a);
		fsb_fmt_time(arrival_ms, c);
		fsb_sign_error(err, errlen, 0,
			       "signer certificate (serial %s) revoked at %s by CA \"%s\", before arrival at %s",
			       e->serial, a, e->ca_name, c);
		return FSB_EREVOKED;
	}
	int rc = valid_at(e, arrival_ms, skew_ms, "arrival", err, errlen);
	return rc ? rc : valid_at(e, issued_at_ms, 0, "issuedAt", err, errlen);
}

/* Parses one CRL given as DER or PEM into c (initialised by the caller). */
static int parse_crl(mbedtls_x509_crl *c, const uint8_t *crl, size_t len)
{
	/* mbedTLS wants PEM NUL-terminated, its length counting the NUL. */
	uint8_t *copy = malloc(len + 1);
	if (!copy)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	memcpy(copy, crl, len);
	copy[len] = '\0';
	int is_pem = len > 10 && memcmp(copy, "-----BEGIN", 10) == 0;
	int mrc = mbedtls_x509_crl_parse(c, copy, is_pem ? len + 1 : len);
	free(copy);
	return mrc;
}

int fsb_sign_crl_der(const uint8_t *crl, size_t len, uint8_t **der, size_t *der_len)
{
	mbedtls_x509_crl c;
	mbedtls_x509_crl_init(&c);
	int rc = parse_crl(&c, crl, len) || c.next ? FSB_ECERT : 0;
	if (rc == 0 && !(*der = malloc(c.raw.len)))
		rc = FSB_ENOMEM;
	if (rc == 0) {
		memcpy(*der, c.raw.p, c.raw.len);
		*der_len = c.raw.len;
	}
	mbedtls_x509_crl_free(&c);
	return rc;
}

int fsb_trust_offer_crl(struct fsb_trust *t, const uint8_t *crl, size_t len,
			struct fsb_crl_info *info, char *err, size_t errlen)
{
	mbedtls_x509_crl c;
	struct fsb_crl_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof *info);
	mbedtls_x509_crl_init(&c);
	int mrc = parse_crl(&c, crl, len);
	int rc = FSB_ECERT;
	if (mrc || c.next) {
		fsb_sign_error(err, errlen, mrc, mrc ? "not a CRL" : "holds several CRLs; give one");
		goto out;
	}
	describe_crl(&c, info);
	rc = FSB_EUNTRUSTED;
	int named;
	const mbedtls_x509_crt *ca = crl_signer(t, &c, &named, &mrc);
	struct anchor *a = ca ? anchor_of(t, ca) : NULL;
	if (!a) {
		if (named)
			fsb_sign_error(err, errlen, mrc, "CRL of \"%s\" is not signed by that trusted CA",
				       info->issuer);
		else
			fsb_sign_error(err, errlen, 0, "CRL was not issued by a trusted CA");
		goto out;
	}
	uint64_t number = crl_number(&c);
	if (a->has_crl && number <= a->crl_number) {
		fsb_sign_error(err, errlen, 0, "CRL number %llu is not newer than the %llu held",
			       (unsigned long long)number, (unsigned long long)a->crl_number);
		rc = 0;
		goto out;
	}
	mbedtls_x509_crl_free(&a->crl);
	a->crl = c; /* moved: c is not freed below */
	mbedtls_x509_crl_init(&c);
	a->has_crl = 1;
	a->crl_number = number;
	cache_clear(t);
	rc = 1;
out:
	mbedtls_x509_crl_free(&c);
	return rc;
}

size_t fsb_trust_n_anchors(const struct fsb_trust *t)
{
	return t->n_anchors;
}

const uint8_t *fsb_trust_crl(const struct fsb_trust *t, size_t i, size_t *len,
			     struct fsb_crl_info *info)
{
	if (info) {
		memset(info, 0, sizeof *info);
		if (i < t->n_anchors)
			fsb_sign_crt_cn(t->anchors[i].ca, info->issuer, sizeof info->issuer);
	}
	if (i >= t->n_anchors || !t->anchors[i].has_crl)
		return NULL;
	describe_crl(&t->anchors[i].crl, info);
	*len = t->anchors[i].crl.raw.len;
	return t->anchors[i].crl.raw.p;
}

int fsb_trust_check_signer(struct fsb_trust *t, struct fsb_signer *signer, const char *origin,
			   int64_t now_ms, char *err, size_t errlen)
{
	static const uint8_t probe[] = "fsbridge signer check";
	uint8_t sig[FSB_SIG_MAX];
	size_t sig_len, cert_len;
	const uint8_t *cert = fsb_signer_cert(signer, &cert_len);
	int rc = fsb_trust_identity(t, cert, cert_len, origin, NULL, err, errlen);
	if (rc == 0 && (rc = fsb_signer_sign(signer, FSB_DOMAIN_MESSAGE, probe, sizeof probe, sig,
					     &sig_len)) != 0)
		fsb_sign_error(err, errlen, 0, "cannot sign with the key");
	if (rc == 0)
		rc = fsb_trust_signature(t, cert, cert_len, FSB_DOMAIN_MESSAGE, probe, sizeof probe, sig,
					 sig_len, err, errlen);
	if (rc == 0)
		rc = fsb_trust_in_force(t, cert, cert_len, now_ms, now_ms, 0, err, errlen);
	return rc;
}
