/* qr.h - QR codes drawn as SVG for the web view; the only module that sees
 * qrencode.h (libqrencode). */
#ifndef FSB_QR_H
#define FSB_QR_H

#include "out.h"

#define FSB_QR_TEXT_MAX 1024 /* bytes a code carries, at most (a Digital Link is far shorter) */

/* Appends an inline <svg> of a QR code of text (byte mode, error
 * correction level M, a quiet zone of four modules) to o, each module
 * `module_px` pixels wide, its title `title` (escaped). FSB_EINVAL when
 * text is empty or longer than FSB_QR_TEXT_MAX, FSB_ENOMEM; nothing is
 * written then. */
int fsb_qr_svg(struct fsb_out *o, const char *text, unsigned module_px, const char *title);

#endif
