/* What the cmocka tests share: a throw-away directory, a registry in it
 * loaded from CSV text, and its removal. Include after <cmocka.h>. */
#ifndef LT_TEST_FIXTURE_H
#define LT_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/registry.h"

/* The context of a test's calls: an admin named as the CLI names one, or
 * the principal p. */
#define FX_ADMIN (&(const struct lt_ctx){.who = {.role = LT_ROLE_ADMIN, .name = "cli:test"}})
#define FX_ADMIN_WHO (&FX_ADMIN->who)
#define FX_CTX(p) (&(const struct lt_ctx){.who = *(p)})

/* A new directory /tmp/lt-<name>-XXXXXX in dir (n bytes). */
static inline void fixture_tmpdir(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/lt-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

/* Opens the registry at db (created) and, when csv is given, imports it,
 * which must succeed whole. Returns the registry (caller closes). */
static inline struct lt_registry *fixture_registry(const char *db, const char *csv)
{
	struct lt_registry *r = NULL;
	struct lt_err err = {0};
	if (lt_registry_open(&r, db, &err) != LT_OK)
		fail_msg("opening %s: %s", db, err.msg);
	if (csv) {
		FILE *f = fmemopen((void *)csv, strlen(csv), "r");
		assert_non_null(f);
		struct lt_import_report rep;
		int rc = lt_registry_import_csv(r, FX_ADMIN, f, &rep, &err);
		fclose(f);
		if (rc != LT_OK)
			fail_msg("importing the fixture: %s", err.msg);
		lt_import_report_free(&rep);
	}
	return r;
}

/* Removes dir and everything in it. */
static inline void fixture_rmrf(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
