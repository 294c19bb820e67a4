/* The one table from status to words, HTTP status and exit code, so no front
 * invents its own mapping. */
#include "lienthong/err.h"
#include "lienthong/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int status;
	const char *name;
	const char *text;
	int http;
	int exit_code;
} status_table[] = {
	{LT_OK, "ok", "success", 200, LT_EXIT_OK},
	{LT_EINVAL, "bad_request", "invalid input", 400, LT_EXIT_REFUSED},
	{LT_ENOTFOUND, "not_found", "not found", 404, LT_EXIT_REFUSED},
	{LT_ECONFLICT, "conflict", "conflict with existing state", 409, LT_EXIT_REFUSED},
	{LT_ERULE, "rule_refused", "refused by a registry rule", 422, LT_EXIT_REFUSED},
	{LT_EIO, "io_error", "input/output or database error", 500, LT_EXIT_IO},
	{LT_ENOMEM, "out_of_memory", "out of memory", 500, LT_EXIT_IO},
	{LT_ETOOBIG, "too_large", "too large", 413, LT_EXIT_REFUSED},
	{LT_EAUTH, "unauthorized", "missing or wrong credential", 401, LT_EXIT_REFUSED},
	{LT_EFORBIDDEN, "forbidden", "outside the caller's scope", 403, LT_EXIT_REFUSED},
	{LT_ENOTREADY, "not_ready", "not ready", 503, LT_EXIT_IO},
	{LT_EPRECOND, "precondition_failed", "the expected version is not the current one", 412, LT_EXIT_REFUSED},
};

static size_t status_index(int status)
{
	for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
		if (status_table[i].status == status)
			return i;
	return 5; /* unknown statuses are treated as I/O failures */
}

const char *lt_strerror(int status) { return status_table[status_index(status)].text; }
const char *lt_status_name(int status) { return status_table[status_index(status)].name; }
int lt_status_http(int status) { return status_table[status_index(status)].http; }
int lt_status_exit(int status) { return status_table[status_index(status)].exit_code; }

int lt_err_set(struct lt_err *err, int status, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->status = (enum lt_status)status;
		err->field[0] = '\0';
		int w = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		/* A message quoting a long Vietnamese name must stay valid UTF-8,
		 * or the JSON error reply that carries it cannot be built. */
		if (w >= (int)sizeof err->msg)
			lt_text_cut_whole(err->msg, sizeof err->msg - 1);
	}
	return status;
}

int lt_err_prefix(struct lt_err *err, const char *fmt, ...)
{
	if (!err)
		return LT_OK;
	char head[LT_ERR_MSG_MAX], old[LT_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	if (snprintf(err->msg, sizeof err->msg, "%s%s", head, old) >= (int)sizeof err->msg)
		lt_text_cut_whole(err->msg, sizeof err->msg - 1);
	return err->status;
}

int lt_err_field(struct lt_err *err, int status, const char *field)
{
	if (err)
		snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	return status;
}

int lt_err_agree(struct lt_err *err, int rc)
{
	if (rc >= 0 || !err)
		return rc;
	if (err->status < 0 && err->msg[0])
		return err->status;
	return lt_err_set(err, rc, "%s", lt_strerror(rc));
}

void lt_err_clear(struct lt_err *err)
{
	if (err) {
		err->status = LT_OK;
		err->msg[0] = '\0';
		err->field[0] = '\0';
	}
}
