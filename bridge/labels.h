/* labels.h - every word shown to staff, in Vietnamese and English, looked
 * up by key. A pure module: one table, no I/O.
 *
 * Keys are the schema's enum value names ("RECALL_CLASS_I",
 * "FOLLOW_UP_TYPE_ACKNOWLEDGEMENT", "MEASURE_TYPE_DISPOSAL" …), the kinds
 * ("kind.recall") and the words of the views ("case.state.open",
 * "case.heading.parties" …). Renderers never write a word of their own.
 */
#ifndef FSB_LABELS_H
#define FSB_LABELS_H

enum fsb_lang {
	FSB_LANG_VI = 0, /* Vietnamese, the default */
	FSB_LANG_EN = 1,
};

/* Parses "vi" or "en"; -1 for anything else. */
int fsb_lang_parse(const char *s, enum fsb_lang *out);

/* The label of key in lang; the key itself when the table has none (a
 * schema value newer than this table still shows, by its name); "" for
 * NULL. */
const char *fsb_label(enum fsb_lang lang, const char *key);

/* The label of "prefix.suffix" (e.g. "kind", "recall"). */
const char *fsb_label2(enum fsb_lang lang, const char *prefix, const char *suffix);

#endif
