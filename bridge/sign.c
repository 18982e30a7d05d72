/* sign.c - keys, signatures and hashes (mbedTLS).
 *
 * Signing is deterministic ECDSA (RFC 6979, MBEDTLS_ECDSA_DETERMINISTIC in
 * Debian's mbedTLS): the same key and bytes always give the same signature,
 * and a broken random generator cannot leak the key. The CTR-DRBG is still
 * seeded, because mbedTLS uses it to blind the scalar multiplication against
 * side channels.
 */
#include "sign_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "error.h"
#include "format.h"

static const char prefix_message[] = "foodsafety/v1 Message\n";
static const char prefix_control[] = "foodsafety/v1 Control\n";

const char *fsb_sign_domain_prefix(enum fsb_domain d, size_t *len)
{
	const char *p = d == FSB_DOMAIN_CONTROL ? prefix_control : prefix_message;
	*len = strlen(p);
	return p;
}

void fsb_sign_sha256(const uint8_t *data, size_t len, uint8_t out[FSB_SHA256_LEN])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

void fsb_sign_sha256_parts(const struct fsb_bytes *parts, size_t n, uint8_t out[FSB_SHA256_LEN])
{
	mbedtls_sha256_context ctx;
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	for (size_t i = 0; i < n; i++)
		mbedtls_sha256_update_ret(&ctx, parts[i].p, parts[i].len);
	mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
}

void fsb_sign_digest(enum fsb_domain d, const uint8_t *payload, size_t len,
		     uint8_t out[FSB_SHA256_LEN])
{
	struct fsb_bytes parts[2] = {{NULL, 0}, {payload, len}};
	parts[0].p = fsb_sign_domain_prefix(d, &parts[0].len);
	fsb_sign_sha256_parts(parts, 2, out);
}

void fsb_sign_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (rc && n >= 0 && (size_t)n < errlen) {
		char why[128];
		mbedtls_strerror(rc, why, sizeof why);
		snprintf(err + n, errlen - (size_t)n, ": %s (-0x%04X)", why, (unsigned)-rc);
	}
}

void fsb_sign_crt_cn(const mbedtls_x509_crt *crt, char *out, size_t cap)
{
	out[0] = '\0';
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			snprintf(out, cap, "%.*s", (int)n->val.len, (const char *)n->val.p);
			return;
		}
}

static int bytes_equal_str(const unsigned char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

int fsb_sign_crt_names(const mbedtls_x509_crt *crt, const char *origin)
{
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0 &&
		    bytes_equal_str(n->val.p, n->val.len, origin))
			return 1;
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next)
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME) &&
		    bytes_equal_str(s->buf.p, s->buf.len, origin))
			return 1;
	return 0;
}

int fsb_sign_cert_names_origin(const uint8_t *der, size_t len, const char *origin)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse_der(&crt, der, len) ? FSB_ECERT
							    : fsb_sign_crt_names(&crt, origin);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int fsb_sign_key_file_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fsb_sign_error(err, errlen, 0, "cannot read key file %s: %s", path, strerror(errno));
		return FSB_EIO;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fsb_sign_error(err, errlen, 0,
			       "key file %s is accessible by group or others (mode %04o); run: chmod 600 %s",
			       path, (unsigned)(st.st_mode & 07777), path);
		return FSB_EKEYPERM;
	}
	return 0;
}

int64_t fsb_sign_x509_ms(const mbedtls_x509_time *t)
{
	return fsb_fmt_time_ms(t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* The value of attribute oid in name n, "" when absent. */
static void name_attr(const mbedtls_x509_name *n, const char *oid, size_t oid_len, char *out,
		      size_t cap)
{
	out[0] = '\0';
	for (; n; n = n->next)
		if (n->oid.p && n->oid.len == oid_len && memcmp(n->oid.p, oid, oid_len) == 0) {
			snprintf(out, cap, "%.*s", (int)n->val.len, (const char *)n->val.p);
			return;
		}
}

int fsb_sign_cert_info(const uint8_t *der, size_t len, struct fsb_cert_info *out)
{
	memset(out, 0, sizeof *out);
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse_der(&crt, der, len) ? FSB_ECERT : 0;
	if (!rc) {
		name_attr(&crt.subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN),
			  out->subject_cn, sizeof out->subject_cn);
		name_attr(&crt.subject, MBEDTLS_OID_AT_ORGANIZATION,
			  MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORGANIZATION), out->organization,
			  sizeof out->organization);
		name_attr(&crt.issuer, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN),
			  out->issuer_cn, sizeof out->issuer_cn);
		if (mbedtls_x509_serial_gets(out->serial, sizeof out->serial, &crt.serial) < 0)
			out->serial[0] = '\0';
		out->not_before_ms = fsb_sign_x509_ms(&crt.valid_from);
		out->not_after_ms = fsb_sign_x509_ms(&crt.valid_to);
	}
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int fsb_sign_cert_cn(const uint8_t *der, size_t len, char *out, size_t cap)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	out[0] = '\0';
	int rc = mbedtls_x509_crt_parse_der(&crt, der, len) ? FSB_ECERT : 0;
	if (!rc)
		fsb_sign_crt_cn(&crt, out, cap);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

struct fsb_signer {
	mbedtls_pk_context key;
	mbedtls_x509_crt cert;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int is_p256(const mbedtls_pk_context *pk)
{
	return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	       mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

int fsb_signer_open(const char *key_path, const char *cert_path, struct fsb_signer **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	int rc = fsb_sign_key_file_check(key_path, err, errlen);
	if (rc)
		return rc;
	struct fsb_signer *s = calloc(1, sizeof *s);
	if (!s)
		return FSB_ENOMEM;
	mbedtls_pk_init(&s->key);
	mbedtls_x509_crt_init(&s->cert);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	int mrc;
	rc = FSB_ECERT;
	if ((mrc = mbedtls_pk_parse_keyfile(&s->key, key_path, NULL)) != 0) {
		fsb_sign_error(err, errlen, mrc, "cannot load private key %s", key_path);
		goto fail;
	}
	if (!is_p256(&s->key)) {
		fsb_sign_error(err, errlen, 0, "private key %s is not an EC P-256 key", key_path);
		goto fail;
	}
	if ((mrc = mbedtls_x509_crt_parse_file(&s->cert, cert_path)) != 0) {
		fsb_sign_error(err, errlen, mrc, "cannot load certificate %s", cert_path);
		goto fail;
	}
	if ((mrc = mbedtls_pk_check_pair(&s->cert.pk, &s->key)) != 0) {
		fsb_sign_error(err, errlen, 0, "private key %s does not match certificate %s", key_path,
			 cert_path);
		goto fail;
	}
	static const char pers[] = "fsbridge signer";
	if ((mrc = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
					 (const unsigned char *)pers, sizeof pers - 1)) != 0) {
		fsb_sign_error(err, errlen, mrc, "cannot seed the random generator");
		rc = FSB_EIO;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	fsb_signer_close(s);
	return rc;
}

void fsb_signer_close(struct fsb_signer *s)
{
	if (!s)
		return;
	/* mbedtls_pk_free() zeroes the private scalar. */
	mbedtls_pk_free(&s->key);
	mbedtls_x509_crt_free(&s->cert);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	free(s);
}

const uint8_t *fsb_signer_cert(const struct fsb_signer *s, size_t *len)
{
	*len = s->cert.raw.len;
	return s->cert.raw.p;
}

static int sign_with(mbedtls_pk_context *key, mbedtls_ctr_drbg_context *drbg, enum fsb_domain d,
		     const uint8_t *payload, size_t len, uint8_t sig[FSB_SIG_MAX], size_t *sig_len)
{
	uint8_t hash[FSB_SHA256_LEN];
	unsigned char buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t n = 0;
	fsb_sign_digest(d, payload, len, hash);
	int mrc = mbedtls_pk_sign(key, MBEDTLS_MD_SHA256, hash, sizeof hash, buf, &n,
				  mbedtls_ctr_drbg_random, drbg);
	if (mrc != 0 || n > FSB_SIG_MAX)
		return FSB_ECERT;
	memcpy(sig, buf, n);
	*sig_len = n;
	return 0;
}

int fsb_signer_sign(struct fsb_signer *s, enum fsb_domain d, const uint8_t *payload, size_t len,
		    uint8_t sig[FSB_SIG_MAX], size_t *sig_len)
{
	return sign_with(&s->key, &s->drbg, d, payload, len, sig, sig_len);
}

/* ---- signing on several threads --------------------------------------------- */

#define SIGN_THREADS_MAX 16
#define SIGN_JOBS_PER_THREAD 8 /* below this, a thread is not worth its key copy */

/* A worker signs jobs first, first + stride, ... with its own copy of the
 * key and its own generator: mbedTLS contexts are not shared between
 * threads (the group's precomputed table is filled on first use). */
struct sign_worker {
	pthread_t tid;
	int started;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	enum fsb_domain d;
	struct fsb_sign_job *jobs;
	size_t n, first, stride;
	int rc;
};

static void *sign_stride(void *arg)
{
	struct sign_worker *w = arg;
	for (size_t i = w->first; i < w->n && w->rc == 0; i += w->stride)
		w->rc = sign_with(&w->key, &w->drbg, w->d, w->jobs[i].payload, w->jobs[i].len,
				  w->jobs[i].sig, &w->jobs[i].sig_len);
	return NULL;
}

static int worker_init(struct sign_worker *w, const struct fsb_signer *s)
{
	static const char pers[] = "fsbridge signer worker";
	mbedtls_pk_init(&w->key);
	mbedtls_entropy_init(&w->entropy);
	mbedtls_ctr_drbg_init(&w->drbg);
	const mbedtls_ecp_keypair *src = mbedtls_pk_ec(s->key);
	if (mbedtls_pk_setup(&w->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)))
		return FSB_ENOMEM;
	mbedtls_ecp_keypair *dst = mbedtls_pk_ec(w->key);
	if (mbedtls_ecp_group_load(&dst->grp, src->grp.id) || mbedtls_mpi_copy(&dst->d, &src->d) ||
	    mbedtls_ecp_copy(&dst->Q, &src->Q))
		return FSB_ENOMEM;
	if (mbedtls_ctr_drbg_seed(&w->drbg, mbedtls_entropy_func, &w->entropy,
				  (const unsigned char *)pers, sizeof pers - 1))
		return FSB_EIO;
	return 0;
}

static void worker_free(struct sign_worker *w)
{
	mbedtls_pk_free(&w->key); /* zeroes the private scalar */
	mbedtls_ctr_drbg_free(&w->drbg);
	mbedtls_entropy_free(&w->entropy);
}

int fsb_signer_sign_many(struct fsb_signer *s, enum fsb_domain d, struct fsb_sign_job *jobs,
			 size_t n, int threads)
{
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads > SIGN_THREADS_MAX)
		threads = SIGN_THREADS_MAX;
	if ((size_t)threads > n / SIGN_JOBS_PER_THREAD)
		threads = (int)(n / SIGN_JOBS_PER_THREAD);
	if (threads < 1)
		threads = 1;
	struct sign_worker w[SIGN_THREADS_MAX];
	memset(w, 0, sizeof w);
	for (int k = 0; k < threads; k++) {
		w[k] = (struct sign_worker){.d = d, .jobs = jobs, .n = n, .first = (size_t)k,
					    .stride = (size_t)threads};
		/* Worker 0 is this thread, with the signer's own key. */
		if (k > 0 && worker_init(&w[k], s) == 0 &&
		    pthread_create(&w[k].tid, NULL, sign_stride, &w[k]) == 0)
			w[k].started = 1;
	}
	int rc = 0;
	for (int k = 0; k < threads; k++) {
		if (k > 0 && w[k].started)
			continue;
		/* Ours, or a worker that could not start: this thread does it. */
		for (size_t i = (size_t)k; i < n && rc == 0; i += (size_t)threads)
			rc = fsb_signer_sign(s, d, jobs[i].payload, jobs[i].len, jobs[i].sig,
					     &jobs[i].sig_len);
	}
	for (int k = 1; k < threads; k++) {
		if (w[k].started) {
			pthread_join(w[k].tid, NULL);
			if (rc == 0)
				rc = w[k].rc;
		}
		worker_free(&w[k]);
	}
	return rc;
}
