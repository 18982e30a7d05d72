/* error.c - error names and the field-error list. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fsb_strerror(int code)
{
	switch (code) {
	case FSB_OK: return "success";
	case FSB_ENOMEM: return "out of memory";
	case FSB_EINVAL: return "invalid argument";
	case FSB_ETOOBIG: return "input larger than the size cap";
	case FSB_EDECODE: return "malformed input";
	case FSB_EINVALID: return "validation failed";
	case FSB_EIO: return "input/output error";
	case FSB_ESIGNATURE: return "signature does not verify";
	case FSB_EUNTRUSTED: return "certificate not issued by a trusted CA";
	case FSB_EREVOKED: return "certificate revoked";
	case FSB_EEXPIRED: return "certificate not in force (expired or not yet valid)";
	case FSB_EORIGIN: return "origin mismatch";
	case FSB_EFUTURE: return "issued_at in the future";
	case FSB_EKEYPERM: return "private key readable by group or others";
	case FSB_ECERT: return "unusable certificate or key";
	case FSB_ECONFIG: return "configuration error";
	case FSB_ENOTFOUND: return "not found";
	case FSB_ENOSPC: return "no space left on device";
	case FSB_ESTORE: return "store error";
	case FSB_EOVERLOAD: return "dropped over budget";
	}
	return "unknown error";
}

void fsb_errlist_init(struct fsb_errlist *l)
{
	l->n = 0;
	l->dropped = 0;
}

void fsb_errlist_add(struct fsb_errlist *l, const char *path, const char *fmt, ...)
{
	if (l->n >= FSB_ERRLIST_MAX) {
		l->dropped++;
		return;
	}
	struct fsb_fielderr *e = &l->items[l->n++];
	snprintf(e->path, sizeof e->path, "%s", path ? path : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

size_t fsb_errlist_count(const struct fsb_errlist *l)
{
	return l->n + l->dropped;
}

void fsb_path_init(struct fsb_path *p)
{
	p->s[0] = '\0';
	p->len = 0;
}

/* Appends text to the path, truncating at the buffer's end. */
static size_t path_append(struct fsb_path *p, const char *text)
{
	size_t mark = p->len;
	size_t room = sizeof p->s - p->len;
	size_t n = strlen(text);
	if (n >= room)
		n = room - 1;
	memcpy(p->s + p->len, text, n);
	p->len += n;
	p->s[p->len] = '\0';
	return mark;
}

size_t fsb_path_push(struct fsb_path *p, const char *name)
{
	size_t mark = p->len;
	if (p->len)
		path_append(p, ".");
	path_append(p, name);
	return mark;
}

size_t fsb_path_push_index(struct fsb_path *p, size_t i)
{
	char buf[32];
	snprintf(buf, sizeof buf, "[%zu]", i);
	return path_append(p, buf);
}

void fsb_path_pop(struct fsb_path *p, size_t mark)
{
	if (mark < p->len) {
		p->len = mark;
		p->s[mark] = '\0';
	}
}
