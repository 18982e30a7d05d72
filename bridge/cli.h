/* cli.h - what the subcommands of the fsbridge binary share.
 *
 * Each subcommand is a function taking its own argv (argv[0] is the
 * subcommand's name) and returning the process exit status: FSB_EXIT_OK,
 * FSB_EXIT_FAIL, or FSB_EXIT_USAGE for a command line it cannot run.
 * Subcommands print results on stdout and one line per problem on stderr.
 */
#ifndef FSB_CLI_H
#define FSB_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codec.h"
#include "labels.h"
#include "query.h"

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

/* fsbridge cases -c FILE|--data DIR [--open|--overdue] [--origin O] [--kind K] [--json] */
int fsb_cmd_cases(int argc, char **argv);

/* fsbridge case -c FILE|--data DIR ID [--json] [--lang vi|en] */
int fsb_cmd_case(int argc, char **argv);

/* fsbridge ack -c FILE ID [--text T] [--unit U] [--officer O] */
int fsb_cmd_ack(int argc, char **argv);

/* fsbridge index rebuild -c FILE|--data DIR */
int fsb_cmd_index(int argc, char **argv);

/* fsbridge trace -c FILE|--data DIR QUERY [LOT] [--at DATE] [--json] [--lang vi|en] */
int fsb_cmd_trace(int argc, char **argv);

/* fsbridge chains -c FILE|--data DIR [--at DATE] [--json] [--lang vi|en] */
int fsb_cmd_chains(int argc, char **argv);

/* fsbridge report -c FILE|--data DIR --from D --to D [--origin O]… [--format F] [-o FILE] */
int fsb_cmd_report(int argc, char **argv);

/* fsbridge serve -c FILE|--data DIR [--listen HOST:PORT] */
int fsb_cmd_serve(int argc, char **argv);

struct fsb_errlist;
struct fsb_config;
struct fsb_store;
struct fsb_view;
struct fsb_query;
struct fsb_out;
struct fsb_case_opts;

/* Where a command finds its node: -c/--config FILE, or --data DIR too. */
enum {
	FSB_CLI_CONFIG = 1, /* -c FILE, required */
	FSB_CLI_DATA = 2,   /* with FSB_CLI_CONFIG: exactly one of -c FILE and --data DIR */
};

/* A command's line, as fsb_cli_parse() reads it. */
struct fsb_cli_cmd {
	const char *name;          /* "replay", "audit verify": begins every error line */
	unsigned source;           /* 0, FSB_CLI_CONFIG, or FSB_CLI_CONFIG | FSB_CLI_DATA */
	const struct option *opts; /* the command's own long options, NULL-terminated; or NULL */
	const char *short_opts;    /* the command's own short options ("k:"); or NULL */
	void (*usage)(FILE *out);
	/* Takes one of the command's own options (ch as in opts; arg is getopt's
	 * optarg): 0 to go on, or an exit status, after saying why. */
	int (*take)(void *ctx, int ch, const char *arg);
	void *ctx;
	size_t min_operands, max_operands; /* after the options */
	const char *missing;       /* what to say when operands are missing */
	/* Filled by fsb_cli_parse(). */
	const char *config_path, *data_dir;
};

/* Parses argv (argv[0] the command's name): the command's own options,
 * -c/--config and --data as c->source allows, and -h/--help. Returns -1
 * when the command goes on, with its operands at argv[optind]; otherwise
 * the exit status to return: FSB_EXIT_OK after --help, FSB_EXIT_USAGE after
 * one line saying what is wrong and the usage (or what take() returned). */
int fsb_cli_parse(struct fsb_cli_cmd *c, int argc, char **argv);

/* The start of a command that reads a node's log: fsb_cli_parse(), then
 * the store opened read-only from -c FILE (c loaded) or --data DIR (c left
 * empty), the error printed when it cannot be. Returns -1 when the command
 * goes on, with c and *out for the caller to release; otherwise the exit
 * status to return, with nothing to release. */
int fsb_cli_start(struct fsb_cli_cmd *cmd, int argc, char **argv, struct fsb_config *c,
		  struct fsb_store **out);

/* For the views (cases, trace): opens a snapshot of store and a query on
 * it, or says why not ("fsbridge NAME: …") and returns the error. */
int fsb_cli_query_open(const char *name, struct fsb_store *store, struct fsb_view **v,
		       struct fsb_query **q);

/* Writes rendered output to stdout: FSB_EXIT_OK, or FSB_EXIT_FAIL after
 * saying why (out of memory, or stdout not writable). */
int fsb_cli_emit(const char *name, struct fsb_out *o);

/* The same into the file at path (NULL: stdout), written whole or not at
 * all (a temporary file renamed). */
int fsb_cli_emit_to(const char *name, struct fsb_out *o, const char *path);

/* What a case's state depends on, from the configuration, judged now. */
struct fsb_case_opts fsb_cli_case_opts(const struct fsb_config *cfg, int timeline);

/* Parses a --lang value; on failure says so and returns FSB_EXIT_USAGE. */
int fsb_cli_lang(const char *cmd, const char *arg, enum fsb_lang *lang);

/* Parses a --kind value; on failure says so ("fsbridge CMD: unknown kind")
 * and returns FSB_EXIT_USAGE. */
int fsb_cli_kind(const char *cmd, const char *arg, enum fsb_kind *kind);

/* Prints "label: path: problem" for each entry of errs on stderr. */
void fsb_cli_print_errors(const char *label, const struct fsb_errlist *errs);

/* Reads and checks the configuration at path into c (initialised here),
 * printing the error line on failure. */
int fsb_cli_load_config(const char *path, struct fsb_config *c);

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
