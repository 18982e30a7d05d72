/* qr.c - QR codes as SVG, over libqrencode.
 *
 * The code is drawn as one path of unit squares, run-length merged along
 * each row, inside a white square with the quiet zone the standard asks
 * for, so a phone camera and zbarimg read it off a screenshot alike.
 */
#include "qr.h"

#include <qrencode.h>
#include <string.h>

#include "error.h"

#define QUIET 4 /* modules of white around the code (ISO/IEC 18004) */

int fsb_qr_svg(struct fsb_out *o, const char *text, unsigned module_px, const char *title)
{
	size_t len = strlen(text);
	if (len == 0 || len > FSB_QR_TEXT_MAX)
		return FSB_EINVAL;
	QRcode *qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0, QR_ECLEVEL_M);
	if (!qr)
		return FSB_ENOMEM;
	unsigned w = (unsigned)qr->width, side = w + 2 * QUIET;
	fsb_out_printf(o,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" "
		       "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" shape-rendering=\"crispEdges\">"
		       "<title>",
		       side * module_px, side * module_px, side, side);
	fsb_out_html(o, title);
	fsb_out_printf(o, "</title><rect width=\"%u\" height=\"%u\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		       side, side);
	for (unsigned y = 0; y < w; y++)
		for (unsigned x = 0; x < w;) {
			if (!(qr->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			unsigned run = 1;
			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			fsb_out_printf(o, "M%u %uh%uv1h-%uz", x + QUIET, y + QUIET, run, run);
			x += run;
		}
	fsb_out_puts(o, "\"/></svg>");
	QRcode_free(qr);
	return 0;
}
