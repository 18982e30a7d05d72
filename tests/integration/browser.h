/* browser.h - a real browser for the web view's tests: Debian's headless
 * Chromium, driven over its DevTools protocol (a WebSocket on a free
 * loopback port) so that a test can open a page, leave it open, and ask
 * what a person would see on it as time goes by. */
#ifndef FSB_BROWSER_H
#define FSB_BROWSER_H

#include <sys/types.h>

struct browser {
	pid_t pid;
	int port; /* the DevTools port */
	int fd;   /* the WebSocket to the page */
	int next_id;
	char dir[160];
};

/* Starts Chromium with its profile under dir (a test's temporary
 * directory), on about:blank, and connects to its page. */
void hbr_start(struct browser *b, const char *dir);

/* Opens url in the page and waits until it has loaded. */
void hbr_open(struct browser *b, const char *url);

/* Evaluates a JavaScript expression in the page; its value as a string
 * (malloc'd; "" for a value that is not a string). */
char *hbr_eval(struct browser *b, const char *expr);

/* The page as an image, written to png (a PNG file). */
void hbr_screenshot(struct browser *b, const char *png);

/* Closes the page and stops Chromium. */
void hbr_stop(struct browser *b);

#endif
