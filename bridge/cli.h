/* cli.h - what the subcommands of the fsbridge binary share.
 *
 * Each subcommand is a function taking its own argv (argv[0] is the
 * subcommand's name) and returning the process exit status: FSB_EXIT_OK,
 * FSB_EXIT_FAIL, or FSB_EXIT_USAGE for a command line it cannot run.
 * Subcommands print results on stdout and one line per problem on stderr.
 */
#ifndef FSB_CLI_H
#define FSB_CLI_H

#include <stddef.h>
#include <stdint.h>

enum {
	FSB_EXIT_OK = 0,
	FSB_EXIT_FAIL = 1,
	FSB_EXIT_USAGE = 2,
};

/* fsbridge validate [--kind K] FILE.json…|- */
int fsb_cmd_validate(int argc, char **argv);

/* fsbridge check -c FILE */
int fsb_cmd_check(int argc, char **argv);

/* Reads a whole file ("-" is standard input) into a malloc'd, NUL-terminated
 * buffer. Fails with FSB_ETOOBIG past max_bytes, FSB_EIO (errno set) when
 * it cannot be read. */
int fsb_read_file(const char *path, size_t max_bytes, char **buf, size_t *len);

#endif
