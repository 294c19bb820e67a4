/* Shared pieces of the lienthong CLI: the global options every sub-command
 * sees and the exit codes of design.md §7.1. */
#ifndef LIENTHONG_CLI_H
#define LIENTHONG_CLI_H

#include <stdbool.h>

#include "lienthong/config.h"
#include "lienthong/err.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

struct cli {
	struct lt_config cfg;
	bool json;
};

/* Each sub-command gets argv starting at its own name. */
int cmd_code(struct cli *cli, int argc, char **argv);

/* Prints "lienthong: <msg>" to stderr and returns the exit code for err. */
int cli_fail(const struct lt_err *err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
