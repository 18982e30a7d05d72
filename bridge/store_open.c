/* store_open.c - opening a store: its environment, then its indexes
 * brought up to the version this fsbridge writes.
 *
 * Above every other store file: a store written before the current
 * indexes is re-indexed from its log once, when opened for writing (a
 * writer would otherwise add records to indexes that miss the older
 * entries). Opened read-only, it reads as it is, and the views ask for
 * `fsbridge index rebuild`.
 */
#include "store_internal.h"

#include <stdio.h>

int fsb_store_open(const char *dir, const struct fsb_store_opts *o, struct fsb_store **out,
		   char *err, size_t errlen)
{
	int rc = store_env_open(dir, o, out, err, errlen);
	if (rc || o->read_only)
		return rc;
	struct fsb_store *s = *out;
	MDB_txn *txn;
	if ((rc = store_read_txn(s, &txn)) == 0) {
		int current = store_indexes_current(s, txn);
		mdb_txn_abort(txn);
		if (!current)
			rc = fsb_store_index_rebuild(s, NULL, NULL);
	}
	if (rc) {
		snprintf(err, errlen, "%s", fsb_store_error(s));
		fsb_store_close(s);
		*out = NULL;
	}
	return rc;
}
