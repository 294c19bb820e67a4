/* The VXP-compatible axis API (formats.md §3.2–3.4, §3.7): authentication
 * of the SDK's signed headers and the operations, mapped onto the registry
 * and the exchange hub. The HTTP layer only moves bytes. */
#ifndef LIENTHONG_VXP_H
#define LIENTHONG_VXP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/access.h"
#include "lienthong/exchange.h"
#include "lienthong/registry.h"

/* Reads one request header by name (case-insensitive), NULL when absent. */
typedef const char *(*lt_vxp_header_fn)(void *ctx, const char *name);

/* An authenticated call. */
struct lt_vxp_call {
	json_t *params;    /* the signed keys without "XroadVnpt-", values as signed */
	struct lt_ctx ctx; /* the calling system (ctx.who); the front sets ctx.request_id */
	char systemid[LT_CODE_BUFSZ];
	int utc_offset; /* minutes east of UTC of the client's clock (timestamp, fromDate, toDate) */
};
void lt_vxp_call_clear(struct lt_vxp_call *c);
/* A signed parameter, the name matched without regard to case (Bkav writes
 * docid for docId); a key spelt exactly as `name` (the SDK's spelling, §3.7)
 * comes first. NULL when absent. */
const char *lt_vxp_param(const struct lt_vxp_call *c, const char *name);

/* Verifies the HMAC-SHA256 over XroadVnpt-sign-header exactly as received,
 * with the secret of the system whose primary code is the signed systemid;
 * refuses a loose XroadVnpt- header that disagrees with the signed value,
 * and (max_skew > 0) a timestamp further off than max_skew seconds, the
 * timestamp being read as a clock utc_offset minutes east of UTC (the SDK's
 * times carry no zone). Values
 * come from the signed JSON only. LT_EAUTH with the reason otherwise; but
 * LT_EINVAL, once the signature holds, for a parameter signed twice in
 * different cases with different values (docId and docid), which the
 * loose headers cannot tell apart and an operation would have to guess. */
int lt_vxp_authenticate(struct lt_store *s, const unsigned char key[LT_SEAL_KEY_BYTES], lt_vxp_header_fn hdr,
			void *hdr_ctx, int64_t max_skew, int utc_offset, struct lt_vxp_call *out, struct lt_err *err);

/* Whether the call's signed keys are the ones the VXP SDK sends for the
 * operation `op` (keys leaked from earlier calls allowed), so a signature
 * captured from one operation cannot be replayed as another: LT_EAUTH
 * naming the missing or foreign key otherwise, LT_ENOTFOUND for an unknown
 * operation. */
int lt_vxp_keys_check(const struct lt_vxp_call *c, const char *op, struct lt_err *err);

/* The SDK's hash-file: SHA-256 rendered per byte without zero padding. */
bool lt_vxp_hash_file_matches(const unsigned char sha[32], const char *given);
/* `to` as JSON text: an array of codes or one quoted code. LT_EINVAL naming
 * the element that is not a code. */
int lt_vxp_parse_to(const char *text, struct lt_codelist *out, struct lt_err *err);
/* What sendEdoc can check before its body arrives: hash-file present (the
 * SDK always signs it) and hex, and `to`, if sent, JSON text of codes.
 * LT_EINVAL with the reason otherwise. */
int lt_vxp_send_check(const struct lt_vxp_call *c, struct lt_err *err);

/* A date parameter (fromDate, toDate: dd/MM/yyyy, optionally HH:mm or
 * HH:mm:ss) in a clock utc_offset minutes east of UTC, as UTC
 * "yyyy-MM-ddTHH:mm:ss" (a year near 1 may shift to 0000); "" when text
 * is NULL or empty. LT_EINVAL naming the parameter when a field is not
 * digits or out of its calendar range. */
#define LT_VXP_DATE_BUFSZ 32
int lt_vxp_date(const char *name, const char *text, int utc_offset, char out[LT_VXP_DATE_BUFSZ], struct lt_err *err);

/* The reply envelope of §3.4: status, ErrorCode, ErrorDesc as strings.
 * A failure is always "FAIL" with the HTTP status as ErrorCode and a
 * non-empty ErrorDesc (never "success", even for an err with no status);
 * bytes of the message that are not UTF-8 become '?'. NULL only when out
 * of memory. */
json_t *lt_vxp_ok(void);
json_t *lt_vxp_fail(const struct lt_err *err);
json_t *lt_vxp_fail_http(int http_status, const char *msg);

/* ---- operations ---- */

enum lt_vxp_agencies { LT_VXP_AGENCIES, LT_VXP_AGENCIES_QD20, LT_VXP_SYNCHRONIZE };
/* getAgenciesList, getAgenciesListQD20, getSynchronizeUnit: data[]. */
int lt_vxp_agencies(struct lt_registry *r, enum lt_vxp_agencies which, json_t **data, struct lt_err *err);
/* registerAgency: binds an existing active unit strictly below the calling
 * system's primary code to that system; deleteAgency unbinds it. Both only
 * when agency_ops (vxp_agency_ops) is on, both recorded in the audit trail
 * (lt_system_bind); neither ever creates or closes a code. */
int lt_vxp_register_agency(struct lt_registry *r, const struct lt_vxp_call *c, json_t *body, bool agency_ops,
			   struct lt_err *err);
int lt_vxp_delete_agency(struct lt_registry *r, const struct lt_vxp_call *c, bool agency_ops, struct lt_err *err);
/* sendEdoc's reply from the hub's reply to a send (borrowed): the
 * envelope, DocId, and per recipient its code, where it was routed, its
 * state (pending, refused, merged, no_system) and why. NULL with err
 * filled when it cannot be built. */
json_t *lt_vxp_send_reply(const json_t *sent, struct lt_err *err);
/* getReceivedEdocList / countReceive*: what waits for the caller. */
int lt_vxp_received(struct lt_exchange *x, const struct lt_vxp_call *c, const char *messagetype, json_t **data,
		    struct lt_err *err);
/* getSentEdocList: per recipient of what the caller sent in the last days
 * (0: ever), its latest max documents, with the latest business status.
 * The SDK's call carries no dates or pages, and it is made in a loop: an
 * unbounded list grows with everything a system ever sent. */
int lt_vxp_sent(struct lt_exchange *x, const struct lt_vxp_call *c, const char *messagetype, int days, int max,
		json_t **data, struct lt_err *err);
/* updateStatus: done, fail or processing; a repeat changes nothing. */
int lt_vxp_update_status(struct lt_exchange *x, const struct lt_vxp_call *c, struct lt_err *err);
/* The same in two steps (lt_exchange_ack_submit and _result). */
int lt_vxp_update_status_submit(struct lt_exchange *x, const struct lt_vxp_call *c, void (*done)(void *arg), void *arg,
				struct lt_ack **out, struct lt_err *err);
int lt_vxp_update_status_result(struct lt_ack *a, struct lt_err *err);

#endif
