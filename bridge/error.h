/* error.h - error codes and the field-error list shared by every module.
 *
 * Functions return 0 or a negative FSB_E* code; fsb_strerror() names it.
 * Where one input can be wrong in many places at once (a message with
 * several bad fields), the function also fills a struct fsb_errlist with one
 * entry per problem, each naming the field path, so the user sees every
 * problem in one pass. The list has a fixed capacity; problems past it are
 * counted in `dropped`, never silently lost.
 */
#ifndef FSB_ERROR_H
#define FSB_ERROR_H

#include <stddef.h>

enum {
	FSB_OK = 0,
	FSB_ENOMEM = -1,    /* out of memory */
	FSB_EINVAL = -2,    /* invalid argument */
	FSB_ETOOBIG = -3,   /* input larger than the configured cap */
	FSB_EDECODE = -4,   /* malformed input (protobuf, JSON, base64) */
	FSB_EINVALID = -5,  /* decoded, but fails validation: see the errlist */
	FSB_EIO = -6,       /* read or write failed: see errno */
	FSB_ESIGNATURE = -7, /* signature does not verify */
	FSB_EUNTRUSTED = -8, /* certificate does not chain to a trusted CA */
	FSB_EREVOKED = -9,  /* certificate revoked */
	FSB_EEXPIRED = -10, /* certificate not valid at arrival or at the message's issued_at */
	FSB_EORIGIN = -11,  /* origin differs between certificate, header, topic */
	FSB_EFUTURE = -12,  /* issued_at too far in the future */
	FSB_EKEYPERM = -13, /* private key file readable by group or others */
	FSB_ECERT = -14,    /* certificate or key unusable or mismatched */
	FSB_ECONFIG = -15,  /* configuration error */
	FSB_ENOTFOUND = -16, /* no such entry (not a failure for lookups) */
	FSB_ENOSPC = -17,   /* no space left on the device */
	FSB_ESTORE = -18,   /* the store failed: see the detail */
	FSB_EOVERLOAD = -19, /* dropped: more arrived than the configured budget holds */
};

/* Static, human-readable name of an FSB_E* code. */
const char *fsb_strerror(int code);

#define FSB_ERRLIST_MAX 64
#define FSB_PATH_MAX 192
#define FSB_ERRMSG_MAX 192

struct fsb_fielderr {
	char path[FSB_PATH_MAX]; /* e.g. "recall.products[1].gtin"; "" = whole input */
	char msg[FSB_ERRMSG_MAX]; /* e.g. "check digit mismatch" */
};

struct fsb_errlist {
	size_t n;       /* entries used in items */
	size_t dropped; /* problems found after the list was full */
	struct fsb_fielderr items[FSB_ERRLIST_MAX];
};

/* Empties the list. */
void fsb_errlist_init(struct fsb_errlist *l);

/* Appends one problem: `path` (copied; NULL means "") and a printf-style
 * message. Over-long text is truncated, never overflowing. */
void fsb_errlist_add(struct fsb_errlist *l, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Total number of problems recorded, dropped ones included. */
size_t fsb_errlist_count(const struct fsb_errlist *l);

/* A field path under construction, e.g. "recall.products[1].gtin". Push
 * returns a mark; pop back to it when leaving the field. A path longer than
 * FSB_PATH_MAX is truncated, never overflowed. */
struct fsb_path {
	char s[FSB_PATH_MAX];
	size_t len;
};

/* Starts an empty path. */
void fsb_path_init(struct fsb_path *p);

/* Appends ".name" (or "name" on an empty path); returns the mark to pop to. */
size_t fsb_path_push(struct fsb_path *p, const char *name);

/* Appends "[i]"; returns the mark to pop to. */
size_t fsb_path_push_index(struct fsb_path *p, size_t i);

/* Cuts the path back to a mark returned by a push. */
void fsb_path_pop(struct fsb_path *p, size_t mark);

#endif
