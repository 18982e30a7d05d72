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

/* fsbridge submit -c FILE [--kind K] [--jsonl] FILE.json…|- */
int fsb_cmd_submit(int argc, char **argv);

/* fsbridge replay -c FILE|--data DIR [filters] [--json|--csv|--raw] */
int fsb_cmd_replay(int argc, char **argv);

/* fsbridge audit verify -c FILE|--data DIR [--ca F --crl F|none] [--full] */
int fsb_cmd_audit(int argc, char **argv);

/* fsbridge watch -c FILE|--data DIR [--kind K] [--origin O] [--json] [--all] */
int fsb_cmd_watch(int argc, char **argv);

/* fsbridge run -c FILE */
int fsb_cmd_run(int argc, char **argv);

/* fsbridge status -c FILE|--data DIR */
int fsb_cmd_status(int argc, char **argv);

/* fsbridge trust publish-crl -c FILE CRL */
int fsb_cmd_trust(int argc, char **argv);

struct fsb_errlist;
struct fsb_config;
struct fsb_store;

/* Prints "label: path: problem" for each entry of errs on stderr. */
void fsb_cli_print_errors(const char *label, const struct fsb_errlist *errs);

/* Reads and checks the configuration at path into c (initialised here),
 * printing the error line on failure. */
int fsb_cli_load_config(const char *path, struct fsb_config *c);

/* Opens the store of a command given -c FILE (config_path) or --data DIR
 * (data_dir; exactly one of the two), printing the error on failure. With
 * a configuration, c is loaded (else c is left initialised and empty). */
int fsb_cli_open_store(const char *cmd, const char *config_path, const char *data_dir,
		       int read_only, struct fsb_config *c, struct fsb_store **out);

/* Shows "what: done/total" on stderr when it is a terminal, at most a few
 * times a second; fsb_cli_progress_end() clears the line. */
void fsb_cli_progress(const char *what, uint64_t done, uint64_t total);
void fsb_cli_progress_end(void);

/* Parses an ISO 8601 time for --since/--until: an RFC 3339 time, or a date
 * (midnight UTC). Returns 0 and *ms, or -1. */
int fsb_cli_parse_time(const char *s, int64_t *ms);

/* Reads a whole file ("-" is standard input) into a malloc'd, NUL-terminated
 * buffer. Fails with FSB_ETOOBIG past max_bytes, FSB_EIO (errno set) when
 * it cannot be read. */
int fsb_cli_read_file(const char *path, size_t max_bytes, char **buf, size_t *len);

#endif
