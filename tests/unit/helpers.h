/* helpers.h - what the unit tests share: example files and small runners. */
#ifndef FSB_TEST_HELPERS_H
#define FSB_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <criterion/parameterized.h>

#include "codec.h"

#define EXAMPLES_DIR FSB_TOP_DIR "/schemas/examples"

/* Reads a file into a malloc'd NUL-terminated buffer; fails the test if it
 * cannot. */
char *th_read(const char *path, size_t *len);

/* Sorted example file names (no directory), NULL-terminated, malloc'd. */
char **th_examples(size_t *n);
void th_free_list(char **list);

/* Criterion parameters: one struct th_example per example file. */
struct th_example {
	char name[128];
};
struct criterion_test_params th_example_params(void);

/* Parses an example (or fails the test); the caller frees. */
struct fsb_message *th_load_example(const char *name);

/* Whether errs holds an entry with exactly `path` whose message contains
 * `msg`. */
int th_has_error(const struct fsb_errlist *errs, const char *path, const char *msg);

/* Prints every entry of errs to stderr (for failing tests). */
void th_dump_errors(const struct fsb_errlist *errs);

#define PKI FSB_TEST_PKI                  /* the trusted test PKI */
#define PKI_OTHER FSB_TEST_PKI "-other"  /* a PKI nobody trusts */

/* Makes a fresh temporary directory (mkdtemp) into dir[64]; fails the test
 * if it cannot. th_rmtree() removes it with its contents. */
void th_tmpdir(char dir[64]);
void th_rmtree(const char *dir);

/* Writes len bytes to path (mode 0600); fails the test if it cannot. */
void th_write(const char *path, const void *data, size_t len);

/* Runs a shell command; returns its exit status (-1 if it did not exit). */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies the test PKI into dir (which exists), its CA database pointing at
 * the copy, so that a test can revoke and issue CRLs of its own. */
void th_pki_copy(const char *dir);

/* Revokes dir/NAME.crt in the copied PKI at dir and writes the CA's next
 * CRL (its number one higher) to dir/ca.crl.new. */
void th_pki_revoke(const char *dir, const char *name);

/* Writes DIR/ORIGIN.conf for a node of the test PKI whose data_dir is
 * DIR/ORIGIN, and returns the config path in path[160]. */
void th_node_conf(const char *dir, const char *origin, char path[160]);

/* Runs `fsbridge ARGS` via the shell with stdout and stderr captured into
 * malloc'd strings (either may be NULL to discard); returns its exit status. */
int th_fsbridge(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A deterministic pseudo-random generator (xorshift64*). */
uint64_t th_rand(uint64_t *state);

#endif
