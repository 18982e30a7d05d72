/* topic.c - MQTT topic names. */
#include "topic.h"

#include <stdio.h>
#include <string.h>

#include "format.h"

/* Copies the next level of *p (up to '/' or the end) into out; -1 when it
 * is empty or longer than cap - 1. */
static int level(const char **p, char *out, size_t cap)
{
	size_t n = strcspn(*p, "/");
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	if (**p == '/')
		(*p)++;
	return 0;
}

static int unknown(struct fsb_topic *out)
{
	memset(out, 0, sizeof *out);
	return -1;
}

int fsb_topic_parse(const char *topic, struct fsb_topic *out)
{
	memset(out, 0, sizeof *out);
	size_t plen = strlen(FSB_TOPIC_PREFIX);
	if (strncmp(topic, FSB_TOPIC_PREFIX, plen) != 0)
		return -1;
	const char *p = topic + plen;
	char a[FSB_TOPIC_MAX], b[FSB_TOPIC_MAX];
	if (level(&p, out->origin, sizeof out->origin) || fsb_fmt_slug(out->origin))
		return unknown(out);
	int has_a = level(&p, a, sizeof a) == 0;
	if (!has_a)
		return unknown(out);
	int has_b = level(&p, b, sizeof b) == 0;
	int more = *p != '\0';
	if (!has_b && !more) {
		if (strcmp(a, "checkpoint") == 0)
			out->type = FSB_TOPIC_CHECKPOINT;
		else if (strcmp(a, "status") == 0)
			out->type = FSB_TOPIC_STATUS;
		else if (strcmp(a, "crl") == 0)
			out->type = FSB_TOPIC_CRL;
		else
			return unknown(out);
		return 0;
	}
	if (!has_b || more)
		return unknown(out);
	if (strcmp(a, "resend") == 0 || strcmp(a, "sync") == 0) {
		if (strlen(b) > FSB_ORIGIN_MAX || fsb_fmt_slug(b))
			return unknown(out);
		int resend = a[0] == 'r';
		strcpy(resend ? out->requester : out->responder, b);
		out->type = resend ? FSB_TOPIC_RESEND : FSB_TOPIC_SYNC;
		return 0;
	}
	out->kind = fsb_kind_parse(a);
	if (out->kind == FSB_KIND_NONE || strlen(b) > FSB_CATEGORY_MAX || fsb_fmt_slug(b))
		return unknown(out);
	strcpy(out->category, b);
	out->type = FSB_TOPIC_STREAM;
	return 0;
}

static char *fit(char *buf, int n)
{
	return n > 0 && n < FSB_TOPIC_MAX ? buf : NULL;
}

char *fsb_topic_stream(char *buf, const char *origin, enum fsb_kind kind, const char *category)
{
	const char *k = fsb_kind_name(kind);
	if (!k || fsb_fmt_slug(origin) || !category || fsb_fmt_slug(category))
		return NULL;
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "%s/%s/%s", origin, k, category));
}

char *fsb_topic_control(char *buf, const char *origin, enum fsb_topic_type type)
{
	const char *what = type == FSB_TOPIC_CHECKPOINT ? "checkpoint"
			   : type == FSB_TOPIC_STATUS   ? "status"
			   : type == FSB_TOPIC_CRL      ? "crl"
							: NULL;
	if (!what || fsb_fmt_slug(origin))
		return NULL;
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "%s/%s", origin, what));
}

char *fsb_topic_sync(char *buf, const char *requester, const char *responder)
{
	if (fsb_fmt_slug(requester) || fsb_fmt_slug(responder))
		return NULL;
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "%s/sync/%s", requester,
				 responder));
}

char *fsb_topic_resend(char *buf, const char *responder, const char *requester)
{
	if (fsb_fmt_slug(responder) || fsb_fmt_slug(requester))
		return NULL;
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "%s/resend/%s", responder,
				 requester));
}

size_t fsb_topic_filters(char (*out)[FSB_TOPIC_MAX], size_t max, const char *self)
{
	static const char *const controls[] = {"checkpoint", "status", "crl"};
	size_t n = 0;
	if (fsb_fmt_slug(self))
		return 0;
	for (int k = FSB_KIND_NONE + 1; fsb_kind_name((enum fsb_kind)k) && n < max; k++)
		snprintf(out[n++], FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "+/%s/+", fsb_kind_name((enum fsb_kind)k));
	for (size_t i = 0; i < sizeof controls / sizeof controls[0] && n < max; i++)
		snprintf(out[n++], FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "+/%s", controls[i]);
	if (n < max)
		snprintf(out[n++], FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "+/sync/%s", self);
	if (n < max)
		snprintf(out[n++], FSB_TOPIC_MAX, FSB_TOPIC_PREFIX "+/resend/%s", self);
	return n;
}

char *fsb_topic_inbox(char *buf, const char *root, const char *origin, enum fsb_kind kind,
		      const char *category)
{
	const char *k = fsb_kind_name(kind);
	if (!k || fsb_fmt_slug(origin))
		return NULL;
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, "%s/inbox/%s/%s/%s", root, origin, k,
				 category && category[0] ? category : "other"));
}

char *fsb_topic_local(char *buf, const char *root, const char *suffix)
{
	return fit(buf, snprintf(buf, FSB_TOPIC_MAX, "%s/%s", root, suffix));
}

enum fsb_kind fsb_topic_submit_kind(const char *topic, const char *root)
{
	size_t n = strlen(root);
	if (strncmp(topic, root, n) != 0 || strncmp(topic + n, "/submit/", 8) != 0)
		return FSB_KIND_NONE;
	return fsb_kind_parse(topic + n + 8);
}
