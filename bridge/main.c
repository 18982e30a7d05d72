/* main.c - the fsbridge binary: git-style subcommands.
 *
 * Only dispatch lives here; each subcommand is its own cmd_*.c. The table
 * lists the subcommands that exist, and `--help` prints exactly that table.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
} commands[] = {
	{"run", fsb_cmd_run, "run -c FILE",
	 "the node daemon (foreground; logs to stderr; SIGTERM stops it cleanly)"},
	{"check", fsb_cmd_check, "check -c FILE",
	 "validate config, key, certificates; print the effective config"},
	{"submit", fsb_cmd_submit, "submit -c FILE [--kind K] [--jsonl] FILE.json...|-",
	 "validate, sign and commit messages to the outbox; print their ids"},
	{"validate", fsb_cmd_validate, "validate [--kind K] FILE.json...|-",
	 "schema check of JSON messages; errors name the field path"},
	{"ack", fsb_cmd_ack, "ack -c FILE ID [--text T] [--unit U] [--officer O]",
	 "acknowledge a case for this province: it has the alert and handles it"},
	{"cases", fsb_cmd_cases, "cases -c FILE|--data DIR [--open|--overdue] [--origin O] [--kind K] [--json]",
	 "the cases worked together: open, overdue, acknowledged by whom"},
	{"case", fsb_cmd_case, "case -c FILE|--data DIR ID [--json] [--lang vi|en]",
	 "one case's thread: provinces, acknowledgements, requests, every message"},
	{"trace", fsb_cmd_trace, "trace -c FILE|--data DIR QUERY [LOT] [--at DATE] [--json]",
	 "a product from its QR code, or an establishment: certificates, results, recalls"},
	{"chains", fsb_cmd_chains, "chains -c FILE|--data DIR [--at DATE] [--json]",
	 "the safe supply chains, their members' certificates, the programme's targets"},
	{"report", fsb_cmd_report,
	 "report -c FILE|--data DIR --from D --to D [--origin O]... [--format text|csv|html] [-o FILE]",
	 "the programme report for the People's Committee, computed from the log"},
	{"serve", fsb_cmd_serve, "serve -c FILE|--data DIR [--listen HOST:PORT]",
	 "the read-only web view of the log, for staff and agency systems"},
	{"watch", fsb_cmd_watch, "watch -c FILE [--kind K] [--origin O] [--json] [--all]",
	 "readable live feed of verified messages"},
	{"replay", fsb_cmd_replay, "replay -c FILE|--data DIR [filters] [--json|--csv|--raw]",
	 "print the log, for auditors"},
	{"audit", fsb_cmd_audit, "audit verify -c FILE|--data DIR [--full]",
	 "re-check every hash link and signature of the log"},
	{"index", fsb_cmd_index, "index rebuild -c FILE|--data DIR",
	 "re-derive every index of the store from its log"},
	{"status", fsb_cmd_status, "status -c FILE|--data DIR",
	 "streams, outbox, rejects, peers (divergence and anomalies named)"},
	{"trust", fsb_cmd_trust, "trust publish-crl -c FILE CRL",
	 "hand a newer CRL to every node of the exchange"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge [--help] [--version] COMMAND [ARGS]\n\n"
		     "Signed exchange of food-safety alerts between provincial nodes.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  fsbridge %s\n      %s\n", commands[i].synopsis, commands[i].summary);
	fprintf(out, "\n'fsbridge COMMAND --help' describes one command.\n"
		     "Exit status: 0 ok, 1 failure, 2 usage.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return FSB_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("fsbridge %s\n", FSB_VERSION);
		return FSB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "fsbridge: unknown command \"%s\" (see 'fsbridge --help')\n", cmd);
	return FSB_EXIT_USAGE;
}
