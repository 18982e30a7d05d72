/* store_trace.c - the keys the trace index files each entry under.
 *
 * The keys are read off the entry's payload (codec.h,
 * fsb_payload_trace_keys): the products it names by GTIN, with their lots,
 * the establishments by tax code, registration number and GLN, a
 * certification's chain. They are a function of the entry's bytes alone,
 * so the append, the rebuild and the check derive the same set. The trace
 * view decodes what it finds and matches it again, so the index only ever
 * narrows the search.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"

struct collect {
	struct store_tkeys *out;
	size_t cap;
};

static int add_key(void *ctx, enum fsb_trace_key type, const char *value)
{
	struct collect *c = ctx;
	size_t n = strlen(value);
	if (n > FSB_TRACE_VALUE_MAX)
		return 0;
	if (fsb_mem_grow(&c->out->keys, &c->cap, c->out->n, sizeof *c->out->keys))
		return FSB_ENOMEM;
	struct store_tkey *k = &c->out->keys[c->out->n++];
	k->len = (uint8_t)(1 + n);
	k->k[0] = (uint8_t)type;
	memcpy(k->k + 1, value, n);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct store_tkey *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);
	return c ? c : (int)x->len - (int)y->len;
}

int store_trace_keys(const struct fsb_entry *e, struct store_tkeys *out)
{
	out->n = 0;
	out->keys = NULL;
	if (e->kind == FSB_KIND_NONE || e->kind == FSB_KIND_FOLLOWUP)
		return 0;
	struct fsb_envelope_view v;
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v))
		return 0; /* nothing to file it under */
	struct collect c = {out, 0};
	int rc = fsb_payload_trace_keys(v.payload, v.payload_len, add_key, &c);
	if (rc == FSB_EDECODE)
		rc = 0; /* what was read before the bad framing stays filed */
	if (rc) {
		store_tkeys_free(out);
		return rc;
	}
	if (out->n > 1) {
		qsort(out->keys, out->n, sizeof *out->keys, cmp_key);
		size_t w = 1;
		for (size_t i = 1; i < out->n; i++)
			if (cmp_key(&out->keys[i], &out->keys[w - 1]) != 0)
				out->keys[w++] = out->keys[i];
		out->n = w;
	}
	return 0;
}

void store_tkeys_free(struct store_tkeys *k)
{
	free(k->keys);
	k->keys = NULL;
	k->n = 0;
}
