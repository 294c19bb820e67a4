/* lienthong sign and verify (design.md §7.1): sign writes the signed
 * package to stdout; verify exits 0 for a good signature, 1 for a bad or
 * missing one, and names the reason. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/sign.h"

#define USAGE_SIGN "sign --key KEY.pem --cert CERT.pem [--inclusive] FILE   (the signed package on stdout)"
#define USAGE_VERIFY "verify [--ca CA.pem] [--code CODE] [--json] FILE"

int cmd_sign(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *key = NULL, *cert = NULL, *file = NULL;
	struct lt_sign_opts opts = {0};
	cli_args_init(&a, cli, argc, argv, "sign", USAGE_SIGN);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--inclusive"))
			opts.inclusive_c14n = true;
		else if (!cli_opt(&a, "--key", &key) && !cli_opt(&a, "--cert", &cert))
			cli_one_positional(&a, &file);
	}
	if (a.stop)
		return a.rc;
	if (!key || !cert || !file)
		return cli_missing(&a, "give --key, --cert and the package FILE");
	struct lt_err err = {0};
	if (lt_sign_file(file, key, cert, &opts, stdout, &err))
		return cli_fail(&err);
	return cli_flush();
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *ca = NULL, *file = NULL, *code = NULL;
	cli_args_init(&a, cli, argc, argv, "verify", USAGE_VERIFY);
	while (cli_next(&a))
		if (!cli_opt(&a, "--ca", &ca) && !cli_opt(&a, "--code", &code))
			cli_one_positional(&a, &file);
	if (a.stop)
		return a.rc;
	if (!file)
		return cli_missing(&a, "give the package FILE");
	struct lt_err err = {0};
	struct lt_sig_result r;
	if (lt_sign_verify_file(file, 0, &r, &err)) {
		char msg[LT_ERR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s", err.msg);
		lt_err_set(&err, err.status, "%s: %s", file, msg);
		return cli_fail(&err);
	}
	bool ok = r.valid;
	char why[LT_ERR_MSG_MAX] = "";
	snprintf(why, sizeof why, "%s", r.reason);
	if (ok && ca) {
		struct lt_err cerr = {0};
		if (lt_sign_chain_ok(&r, ca, 0, &cerr)) {
			ok = false;
			snprintf(why, sizeof why, "%s", cerr.msg);
		}
	}
	if (ok && code && !lt_sign_cert_names(&r, code)) {
		ok = false;
		snprintf(why, sizeof why, "the signer certificate (%s) does not name %s", r.subject, code);
	}
	int rc;
	if (cli->json) {
		rc = cli_print_json(json_pack("{s:b,s:b,s:s?,s:o,s:o,s:o,s:o,s:o}", "valid", ok, "signed", r.present,
					      "reason", ok ? NULL : why, "algorithm", cli_json_str(r.algorithm),
					      "signer", cli_json_str(r.subject), "fingerprint",
					      cli_json_str(r.fingerprint), "not_before", cli_json_str(r.not_before),
					      "not_after", cli_json_str(r.not_after)));
	} else {
		if (ok)
			printf("good signature by %s (%s)\n", r.subject, r.algorithm);
		else
			fprintf(stderr, "lienthong: bad or missing signature: %s\n", why);
		rc = cli_flush();
	}
	lt_sig_result_clear(&r);
	return rc ? rc : ok ? EXIT_OK : EXIT_REFUSED;
}
