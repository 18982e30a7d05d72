/* render.h - log entries as people and tools read them: shared by replay
 * and watch. */
#ifndef FSB_RENDER_H
#define FSB_RENDER_H

#include <stdio.h>

#include "store.h"

enum fsb_render {
	FSB_RENDER_TEXT,    /* a block with every field (replay) */
	FSB_RENDER_SUMMARY, /* a few lines for staff (watch) */
	FSB_RENDER_JSON,    /* one JSON line: index, arrival, direction, status, signer, message */
	FSB_RENDER_CSV,     /* one CSV row (fsb_render_csv_header() first) */
	FSB_RENDER_RAW,     /* the envelope's bytes after a varint length */
};

/* Writes one entry to out. Returns 0, FSB_EDECODE when the stored envelope
 * cannot be decoded (nothing written), or FSB_EIO when out fails. */
int fsb_render_entry(const struct fsb_entry *e, enum fsb_render how, FILE *out);

void fsb_render_csv_header(FILE *out);

#endif
