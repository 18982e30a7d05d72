/* store_record.c - the log's records: their layout, and reading one.
 *
 * A log record is a fixed header (format, direction, status, kind, arrival,
 * issued_at, seq, payload hash, entry hash), the origin and category as
 * short strings, then the envelope. The entry hash is SHA-256 of the
 * previous entry's hash, the index, and the record with its own hash field
 * zeroed: changing any byte of any entry breaks the chain from there on.
 */
#include "store_internal.h"

#include <string.h>

#include "error.h"
#include "format.h"


size_t store_record_size(const struct fsb_entry_in *in)
{
	return R_FIXED + 1 + strlen(in->origin) + 1 + (in->category ? strlen(in->category) : 0) + 4 +
	       in->envelope_len;
}

void store_record_write(uint8_t *r, const struct fsb_entry_in *in)
{
	memset(r, 0, R_FIXED);
	r[R_FORMAT] = STORE_REC_FORMAT;
	r[R_DIR] = (uint8_t)in->direction;
	r[R_STATUS] = (uint8_t)in->status;
	r[R_KIND] = (uint8_t)in->kind;
	put64(r + R_ARRIVAL, (uint64_t)in->arrival_ms);
	put64(r + R_ISSUED, (uint64_t)in->issued_at_ms);
	put64(r + R_SEQ, in->seq);
	memcpy(r + R_PHASH, in->payload_hash, FSB_HASH_LEN);
	uint8_t *p = r + R_FIXED;
	size_t n = strlen(in->origin);
	*p++ = (uint8_t)n;
	memcpy(p, in->origin, n);
	p += n;
	n = in->category ? strlen(in->category) : 0;
	*p++ = (uint8_t)n;
	memcpy(p, in->category, n);
	p += n;
	p[0] = (uint8_t)(in->envelope_len >> 24);
	p[1] = (uint8_t)(in->envelope_len >> 16);
	p[2] = (uint8_t)(in->envelope_len >> 8);
	p[3] = (uint8_t)in->envelope_len;
	memcpy(p + 4, in->envelope, in->envelope_len);
}

int store_record_read(const uint8_t *r, size_t len, uint64_t index, struct fsb_entry *e)
{
	memset(e, 0, sizeof *e);
	if (len < R_FIXED + 6 || r[R_FORMAT] != STORE_REC_FORMAT)
		return -1;
	e->index = index;
	e->direction = r[R_DIR];
	e->status = r[R_STATUS];
	e->kind = r[R_KIND];
	e->arrival_ms = (int64_t)get64(r + R_ARRIVAL);
	e->issued_at_ms = (int64_t)get64(r + R_ISSUED);
	e->seq = get64(r + R_SEQ);
	memcpy(e->payload_hash, r + R_PHASH, FSB_HASH_LEN);
	memcpy(e->entry_hash, r + R_EHASH, FSB_HASH_LEN);
	size_t off = R_FIXED;
	size_t n = r[off++];
	if (n > FSB_ORIGIN_MAX || off + n + 1 > len)
		return -1;
	memcpy(e->origin, r + off, n);
	off += n;
	n = r[off++];
	if (n > FSB_CATEGORY_MAX || off + n + 4 > len)
		return -1;
	memcpy(e->category, r + off, n);
	off += n;
	size_t elen = (size_t)r[off] << 24 | (size_t)r[off + 1] << 16 | (size_t)r[off + 2] << 8 | r[off + 3];
	off += 4;
	if (elen != len - off)
		return -1;
	e->envelope = (uint8_t *)(r + off);
	e->envelope_len = elen;
	return 0;
}

void store_record_hash(const uint8_t *r, size_t len, uint64_t index,
			const uint8_t prev[FSB_HASH_LEN], uint8_t out[FSB_HASH_LEN])
{
	static const uint8_t zeros[FSB_HASH_LEN];
	uint8_t idx[8];
	put64(idx, index);
	struct fsb_bytes parts[] = {
		{prev, FSB_HASH_LEN}, {idx, 8}, {r, R_EHASH}, {zeros, FSB_HASH_LEN},
		{r + R_FIXED, len - R_FIXED},
	};
	fsb_sign_sha256_parts(parts, sizeof parts / sizeof parts[0], out);
}

int store_log_entry(struct fsb_store *s, MDB_txn *txn, uint64_t index, struct fsb_entry *out)
{
	uint8_t ik[8];
	put64(ik, index);
	MDB_val k = val(ik, 8), v;
	int rc = mdb_get(txn, s->dbi[DB_LOG], &k, &v);
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	if (rc)
		return store_fail(s, rc, "cannot read the log");
	if (store_record_read(v.mv_data, v.mv_size, index, out)) {
		store_seterr(s, "log entry %llu is unreadable (data_dir %s)", (unsigned long long)index, s->dir);
		return FSB_ESTORE;
	}
	return 0;
}

