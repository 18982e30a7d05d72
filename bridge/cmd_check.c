/* cmd_check.c - `fsbridge check -c FILE`: is this node ready to run?
 *
 * Reads and checks the configuration, then everything it points at, in the
 * order a failure is most useful to hear about: the private key (its file
 * mode, that it is EC P-256 and matches the certificate), that the
 * certificate names the configured origin, the CAs and their CRLs, and that
 * the certificate is an fsbridge signing certificate in force today whose
 * key's signature verifies through the trust store, as a receiver would
 * check it. Prints the effective configuration on success; one line naming
 * what and where on failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "format.h"
#include "sign.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge check -c FILE\n"
		     "\n"
		     "Validates the node configuration, its key, certificate, CAs and CRLs,\n"
		     "and prints the effective configuration.\n");
}

/* Everything past the configuration file itself. */
static int check_material(const struct fsb_config *c, char *err, size_t errlen)
{
	struct fsb_signer *signer = NULL;
	struct fsb_trust *trust = NULL;
	int rc = fsb_signer_open(c->key_path, c->cert_path, &signer, err, errlen);
	if (rc)
		goto out;
	size_t cert_len;
	const uint8_t *cert = fsb_signer_cert(signer, &cert_len);
	if (fsb_sign_cert_names_origin(cert, cert_len, c->origin) != 1) {
		snprintf(err, errlen, "%s: [signing] cert: %s does not name origin \"%s\" (subject CN or DNS SAN)",
			 c->path, c->cert_path, c->origin);
		rc = FSB_EORIGIN;
		goto out;
	}
	if (c->tls_key && (rc = fsb_sign_key_file_check(c->tls_key, err, errlen)))
		goto out;
	if ((rc = fsb_trust_open_files(c->ca_files, c->crl_files, c->n_ca, &trust, err, errlen)))
		goto out;
	char why[300];
	if ((rc = fsb_trust_check_signer(trust, signer, c->origin, fsb_fmt_now_ms(), why,
					 sizeof why))) {
		snprintf(err, errlen, "%s: [signing] cert: %s", c->path, why);
		goto out;
	}
out:
	fsb_trust_close(trust);
	fsb_signer_close(signer);
	return rc;
}

int fsb_cmd_check(int argc, char **argv)
{
	struct fsb_cli_cmd cmd = {.name = "check", .source = FSB_CLI_CONFIG, .usage = usage};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	struct fsb_config c;
	char err[FSB_CONFIG_ERR_MAX];
	if ((rc = fsb_cli_load_config(cmd.config_path, &c)) == 0 &&
	    (rc = check_material(&c, err, sizeof err)))
		fprintf(stderr, "%s\n", err);
	if (!rc)
		fsb_config_print(&c, stdout);
	fsb_config_cleanup(&c);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
