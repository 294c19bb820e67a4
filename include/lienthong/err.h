/* Status codes and the caller-owned error that carries a message a user can act on.
 * Every library function that can fail returns an enum lt_status and, when given a
 * non-NULL struct lt_err, fills it. One table maps statuses to HTTP and exit codes. */
#ifndef LIENTHONG_ERR_H
#define LIENTHONG_ERR_H

#include <stddef.h>

enum lt_status {
	LT_OK = 0,
	LT_EINVAL = -1,    /* malformed input: a bad code, date, field */
	LT_ENOTFOUND = -2, /* no such unit, document, system */
	LT_ECONFLICT = -3, /* clashes with existing state (duplicate, version) */
	LT_ERULE = -4,     /* well-formed, but a domain rule refuses it */
	LT_EIO = -5,       /* file, network or database failure */
	LT_ENOMEM = -6,
	LT_ETOOBIG = -7,    /* over a configured size cap */
	LT_EAUTH = -8,      /* no credential, or a wrong one */
	LT_EFORBIDDEN = -9, /* credential fine, outside its scope */
	LT_ENOTREADY = -10, /* the store or a dependency does not answer yet */
	LT_EPRECOND = -11,  /* the caller's expected version is not the current one */
};

/* Process exit codes (design.md §7.1), for the CLI and the daemon alike: a
 * status maps to one through lt_status_exit; usage errors have no status. */
enum lt_exit { LT_EXIT_OK = 0, LT_EXIT_REFUSED = 1, LT_EXIT_USAGE = 2, LT_EXIT_IO = 3 };

#define LT_ERR_MSG_MAX 512

struct lt_err {
	enum lt_status status;
	char msg[LT_ERR_MSG_MAX];
	/* The input field the failure concerns ("decision.date", "email"), when
	 * the code that found it knows; "" otherwise. lt_err_set clears it. */
	char field[64];
};

/* A short English phrase for a status ("not found"); never NULL. */
const char *lt_strerror(int status);

/* A stable machine name for the API ("not_found", "conflict"...). */
const char *lt_status_name(int status);

/* The HTTP status that answers a failure with this status. */
int lt_status_http(int status);

/* The exit code of a status: LT_EXIT_OK, LT_EXIT_REFUSED or LT_EXIT_IO. */
int lt_status_exit(int status);

/* Fills err (if non-NULL) and returns status, so callers can write
 * `return lt_err_set(err, LT_EINVAL, "...")`. */
int lt_err_set(struct lt_err *err, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Names the field err (filled, or NULL) concerns; returns status, so a
 * caller writes `return lt_err_field(err, lt_err_set(err, …), "email")`. */
int lt_err_field(struct lt_err *err, int status, const char *field);

/* Prefixes the existing message with context ("line 12: "). */
int lt_err_prefix(struct lt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void lt_err_clear(struct lt_err *err);

/* The status of a failure rc < 0 of a call made with err cleared: err's own
 * when the call filled it (the account written where it failed, which may
 * be more precise than a generic rc), else rc with rc's words filled in (a
 * caller's callback returns a status but has no err). Returns the status err
 * now carries; rc itself when rc >= 0. */
int lt_err_agree(struct lt_err *err, int rc);

#endif
