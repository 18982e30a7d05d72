/* case_rule.c - the rules of cases shared by the index and the view. */
#include "case_rule.h"

#include <string.h>

int fsb_case_same_origin(const char *id, const char *member_origin)
{
	const char *colon = strchr(id, ':');
	size_t n = colon ? (size_t)(colon - id) : strlen(id);
	return strlen(member_origin) == n && memcmp(id, member_origin, n) == 0;
}

unsigned fsb_case_member_flags(const char *root_id, const char *member_origin,
			       enum fsb_followup_type type, const char *ref_id)
{
	if (type == FSB_FU_REQUEST)
		return FSB_CASE_REQUEST;
	if (!fsb_case_same_origin(root_id, member_origin))
		return 0;
	if (type == FSB_FU_CLOSURE)
		return FSB_CASE_CLOSED;
	if (type == FSB_FU_WITHDRAWAL && strcmp(ref_id, root_id) == 0)
		return FSB_CASE_WITHDRAWN;
	return 0;
}

int fsb_case_is_open(unsigned flags)
{
	if (flags & (FSB_CASE_CLOSED | FSB_CASE_WITHDRAWN))
		return 0;
	return !(flags & FSB_CASE_HELD) || (flags & (FSB_CASE_ALERT | FSB_CASE_REQUEST));
}
