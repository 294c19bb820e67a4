/* lienthongd: the HTTP daemon. For now it loads and checks its configuration
 * (-n prints "configuration OK") and reports its version. */
#include <stdio.h>
#include <string.h>

#include "lienthong/config.h"
#include "lienthong/log.h"
#include "lienthong/version.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: lienthongd [-c FILE] [-n] [--version]\n"
		     "  -c FILE    INI configuration file; every key can also be set as LIENTHONG_<KEY>\n"
		     "  -n         check the configuration and exit\n\nkeys:\n");
	lt_config_help(out, false);
}

int main(int argc, char **argv)
{
	struct lt_config cfg;
	struct lt_err err = {0};
	const char *conf = NULL;
	int check_only = 0;
	lt_config_defaults(&cfg);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			check_only = 1;
		else if (strcmp(argv[i], "--version") == 0)
			return printf("lienthongd %s\n", LIENTHONG_VERSION), 0;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(stdout), 0;
		else
			return usage(stderr), 2;
	}
	if ((conf && lt_config_load_file(&cfg, conf, &err)) || lt_config_load_env(&cfg, &err)) {
		lt_log_errorx("%s", err.msg);
		return 2;
	}
	lt_log_set_level((enum lt_log_level)cfg.log_level);
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	printf("lienthongd %s\n", LIENTHONG_VERSION);
	return 0;
}
