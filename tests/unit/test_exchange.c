/* The exchange hub on a temporary registry and data directory: routing
 * through lineage, idempotent sends, refusals that store nothing, inboxes,
 * acknowledgements, status relay onto the trace, concurrent sends through
 * the group commit, and retention; then one test per fix of the review
 * (UTF-8 cuts, done is final, statuses only from the parties, retention
 * from the last acknowledgement, one failing job in a batch, the spool name
 * after a rename, the start-up sweep, a revocation listed once), and the
 * acknowledgements that share the group commit with sends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchange/exchange_impl.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_impl.h"
#include "lienthong/exchange.h"
#include "lienthong/text.h"

struct fx {
	char dir[64];
	char db[128];
	char data[128];
	struct lt_registry *r;
	struct lt_exchange *x;
	struct lt_principal g22, h17, h26;
};

static const char units_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.G22,Văn phòng Chính phủ,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H26,Ủy ban nhân dân thành phố Hà Nội,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H99,Đơn vị giải thể,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n";

static void make_system(struct fx *fx, const char *code, struct lt_principal *p)
{
	unsigned char key[LT_SEAL_KEY_BYTES];
	struct lt_err err = {0};
	assert_int_equal(lt_seal_key_in(fx->data, true, key, &err), LT_OK);
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	char(*c)[LT_CODE_BUFSZ] = calloc(1, sizeof *c);
	snprintf(c[0], LT_CODE_BUFSZ, "%s", code);
	struct lt_system_created made;
	assert_int_equal(lt_system_register(lt_registry_store(fx->r), FX_CTX(&admin), code,
					    (const char(*)[LT_CODE_BUFSZ])c, 1, key, &made, &err),
			 LT_OK);
	assert_int_equal(lt_token_authenticate(lt_registry_store(fx->r), made.token, p, &err), LT_OK);
	free(c);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "xch");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	snprintf(fx->data, sizeof fx->data, "%s/data", fx->dir);
	struct lt_err err = {0};
	fx->r = fixture_registry(fx->db, units_csv);
	/* Quảng Nam merges into Đà Nẵng; H99 is dissolved with no successor. */
	const char h47[][LT_CODE_BUFSZ] = {"000.00.00.H47"}, h99[][LT_CODE_BUFSZ] = {"000.00.00.H99"};
	struct lt_reorg m = {.kind = LT_REORG_MERGE,
			     .decision = {"202/2025/QH15", "2025-06-12", "Quốc hội"},
			     .effective = "2025-07-01",
			     .from = h47,
			     .n_from = 1,
			     .into_code = "000.00.00.H17"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE,
			     .decision = {"1/QĐ", "2025-06-12", "Thủ tướng"},
			     .effective = "2025-07-01",
			     .from = h99,
			     .n_from = 1};
	struct lt_reorg_result res = {0};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	memset(&res, 0, sizeof res);
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	struct lt_exchange_opts o = {.data_dir = fx->data, .max_package_bytes = 1 << 20, .retention_days = 30};
	assert_int_equal(lt_exchange_open(&fx->x, fx->r, &o, &err), LT_OK);
	make_system(fx, "000.00.00.G22", &fx->g22);
	make_system(fx, "000.00.00.H17", &fx->h17);
	make_system(fx, "000.00.00.H26", &fx->h26);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_exchange_close(fx->x);
	lt_registry_close(fx->r);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

#define NS "http://www.mic.gov.vn/TBT/QCVN_102_2016"

/* An edoc from `from` to the comma-separated codes in `to`. Caller frees. */
static char *edoc(const char *from, const char *to, const char *number, const char *subject)
{
	char tos[1024] = "";
	const char *p = to;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t o = strlen(tos);
		snprintf(tos + o, sizeof tos - o, "<edXML:To><edXML:OrganId>%.*s</edXML:OrganId></edXML:To>", (int)n,
			 p);
		p += n;
		if (*p == ',')
			p++;
	}
	char *x = NULL;
	int rc = asprintf(&x,
			  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><edXML xmlns=\"" NS "\" xmlns:edXML=\"" NS "\">"
			  "<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>"
			  "<edXML:From><edXML:OrganId>%s</edXML:OrganId></edXML:From>%s"
			  "<edXML:DocumentId>%s,2026/11/20,%s/UBND-VP</edXML:DocumentId>"
			  "<edXML:Code><edXML:CodeNumber>%s</edXML:CodeNumber><edXML:CodeNotation>UBND-VP"
			  "</edXML:CodeNotation></edXML:Code><edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place>"
			  "<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate></edXML:PromulgationInfo>"
			  "<edXML:Subject>%s</edXML:Subject></edXML:MessageHeader></edXML:edXMLHeader>"
			  "<edXML:edXMLBody><edXML:edXMLManifest version=\"1.0\"/></edXML:edXMLBody>"
			  "</edXML:edXMLEnvelope></edXML>",
			  from, tos, from, number, number, subject);
	assert_true(rc > 0);
	return x;
}

static char *status_desc(const char *from, const char *to, const char *docid, const char *code, const char *desc)
{
	char *x = NULL;
	int rc = asprintf(&x,
			  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><edXML xmlns=\"" NS "\" xmlns:edXML=\"" NS "\">"
			  "<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>"
			  "<edXML:From><edXML:OrganId>%s</edXML:OrganId></edXML:From>"
			  "<edXML:ResponseFor><edXML:OrganId>%s</edXML:OrganId><edXML:Code>1/UBND-VP</edXML:Code>"
			  "<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>"
			  "<edXML:DocumentId>%s</edXML:DocumentId></edXML:ResponseFor>"
			  "<edXML:StatusCode>%s</edXML:StatusCode><edXML:Description>%s</edXML:Description>"
			  "<edXML:Timestamp>2026/11/21 08:00:00</edXML:Timestamp>"
			  "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>",
			  from, to, docid, code, desc);
	assert_true(rc > 0);
	return x;
}

static char *status(const char *from, const char *to, const char *docid, const char *code)
{
	return status_desc(from, to, docid, code, "ok");
}

/* Sends text in two pieces, as an upload arrives. */
static int send_pkg(struct fx *fx, const struct lt_principal *who, const char *text, json_t **reply, bool *replayed,
		    struct lt_err *err)
{
	struct lt_upload *u;
	int rc = lt_upload_begin(fx->x, FX_CTX(who), &u, err);
	if (rc)
		return rc;
	size_t n = strlen(text), half = n / 2;
	if (lt_upload_feed(u, text, half, err) == LT_OK)
		lt_upload_feed(u, text + half, n - half, err);
	return lt_upload_finish(u, reply, replayed, err);
}

static size_t count_packages(struct fx *fx)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "find %s/packages -type f | wc -l", fx->data);
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static size_t inbox_count(struct fx *fx, const struct lt_principal *who, const char *kind)
{
	struct lt_inbox_query q = {kind, 0, 500};
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_exchange_inbox(fx->x, who, &q, &out, &err), LT_OK);
	size_t n = json_array_size(json_object_get(out, "items"));
	json_decref(out);
	return n;
}

static void test_route_replay_refuse(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *again = NULL;
	bool replayed = true;
	char *p = edoc("000.00.00.G22", "000.00.00.H47,000.00.00.H26,000.00.00.H99", "7", "Về việc thử nghiệm");
	assert_int_equal(send_pkg(fx, &fx->g22, p, &reply, &replayed, &err), LT_OK);
	assert_false(replayed);
	json_t *rec = json_object_get(reply, "recipients");
	assert_int_equal(json_array_size(rec), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rec, 0), "routed_to")), "000.00.00.H17");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rec, 2), "state")), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(rec, 2), "reason")), "no active"));

	/* A retry gets the first reply; the body is stored once. */
	assert_int_equal(send_pkg(fx, &fx->g22, p, &again, &replayed, &err), LT_OK);
	assert_true(replayed);
	assert_true(json_equal(reply, again));
	assert_int_equal(count_packages(fx), 1);
	json_decref(again);

	/* Same DocumentId, other content: conflict, nothing stored. */
	char *q = edoc("000.00.00.G22", "000.00.00.H26", "7", "Nội dung khác");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_ECONFLICT);
	assert_int_equal(count_packages(fx), 1);
	free(q);

	/* Speaking for someone else, an unknown code, nobody reachable, a non-system sender. */
	q = edoc("000.00.00.H26", "000.00.00.H17", "8", "x");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_EFORBIDDEN);
	free(q);
	q = edoc("000.00.00.G22", "000.00.00.H55,000.00.00.H99", "9", "x");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.00.00.H55 is not a code of the registry"));
	assert_non_null(strstr(err.msg, "000.00.00.H99 closed"));
	free(q);
	q = edoc("000.00.00.G22", "000.00.00.H99", "10", "x");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_ERULE);
	free(q);
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	struct lt_upload *u;
	assert_int_equal(lt_upload_begin(fx->x, FX_CTX(&admin), &u, &err), LT_EFORBIDDEN);
	assert_int_equal(send_pkg(fx, &fx->g22, "<not xml", &again, &replayed, &err), LT_EINVAL);
	assert_int_equal(count_packages(fx), 1);
	json_decref(reply);
	free(p);
}

/* The database gone in the middle of a send (a restart, a failover) once
 * its token was read: the send fails with that status (503, send again),
 * not as a refusal of the system's right to its own code (403, found by
 * test_pg_nodes.py under a PostgreSQL restart). */
static int codes_not_ready(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	(void)s;
	(void)id;
	(void)out;
	return lt_err_set(err, LT_ENOTREADY, "cannot connect to the PostgreSQL database: the server is restarting");
}

static void test_store_failure_is_not_a_refusal(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL;
	bool replayed = false;
	struct lt_store *s = lt_registry_store(fx->r);
	const struct lt_store_ops *real = s->ops;
	struct lt_store_ops broken = *real;
	broken.system_codes = codes_not_ready;
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "31", "Gửi lúc máy chủ khởi động lại");
	s->ops = &broken;
	int rc = send_pkg(fx, &fx->g22, p, &reply, &replayed, &err);
	s->ops = real;
	assert_int_equal(rc, LT_ENOTREADY);
	assert_int_equal(err.status, LT_ENOTREADY);
	assert_int_equal(count_packages(fx), 0);
	assert_int_equal(send_pkg(fx, &fx->g22, p, &reply, &replayed, &err), LT_OK);
	assert_false(replayed);
	json_decref(reply);
	free(p);
}

static void test_inbox_ack_status_trace(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	bool replayed;
	char *p = edoc("000.00.00.G22", "000.00.00.H47,000.00.00.H26", "11", "Báo cáo");
	assert_int_equal(send_pkg(fx, &fx->g22, p, &reply, &replayed, &err), LT_OK);
	const char *id = json_string_value(json_object_get(reply, "id"));
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 1);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 1);
	assert_int_equal(inbox_count(fx, &fx->g22, NULL), 0);

	int fd;
	uint64_t size;
	assert_int_equal(lt_exchange_open_body(fx->x, &fx->h17, id, &fd, &size, &err), LT_OK);
	assert_int_equal(size, strlen(p));
	char *buf = malloc(size);
	assert_int_equal(read(fd, buf, size), (ssize_t)size);
	assert_memory_equal(buf, p, size);
	free(buf);
	close(fd);

	/* Acks: only the caller's own delivery, and it leaves the inbox when done. */
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->g22), id, "done", &out, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, "finished", &out, &err), LT_EINVAL);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, "processing", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 1);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, "done", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 0);
	assert_int_equal(inbox_count(fx, &fx->h26, "edoc"), 1);

	/* 01 then 06 from Đà Nẵng go back to the sender and onto the trace. */
	const char *docid = json_string_value(json_object_get(reply, "document_id"));
	const char *codes[] = {"01", "03", "06"};
	for (int i = 0; i < 3; i++) {
		char *s = status("000.00.00.H17", "000.00.00.G22", docid, codes[i]);
		json_t *r2 = NULL;
		assert_int_equal(send_pkg(fx, &fx->h17, s, &r2, &replayed, &err), LT_OK);
		json_decref(r2);
		free(s);
	}
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 3);
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	json_t *recs = json_object_get(out, "recipients");
	json_t *h47 = json_array_get(recs, 0);
	assert_string_equal(json_string_value(json_object_get(h47, "routed_to")), "000.00.00.H17");
	json_t *sts = json_object_get(h47, "statuses");
	assert_int_equal(json_array_size(sts), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sts, 2), "code")), "06");
	assert_int_equal(json_array_size(json_object_get(h47, "transport")), 3);
	assert_int_equal(json_array_size(json_object_get(json_array_get(recs, 1), "statuses")), 0);
	json_decref(out);
	/* The unrelated Hà Nội system sees neither the trace nor the body. */
	struct lt_principal other = fx->h26;
	other.system_id = 99;
	assert_int_equal(lt_exchange_trace(fx->x, &other, id, &out, &err), LT_EFORBIDDEN);

	/* A status about a document the hub never carried is still relayed. */
	char *s = status("000.00.00.H26", "000.00.00.G22", "000.00.00.G22,2026/01/01,1/XX", "01");
	json_t *r3 = NULL;
	assert_int_equal(send_pkg(fx, &fx->h26, s, &r3, &replayed, &err), LT_OK);
	json_decref(r3);
	free(s);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 4);

	assert_int_equal(lt_exchange_stats(fx->x, FX_ADMIN_WHO, "", "", "sender", &out, &err), LT_OK);
	json_t *row = json_array_get(json_object_get(out, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "key")), "000.00.00.G22");
	assert_int_equal(json_integer_value(json_object_get(row, "documents")), 1);
	json_decref(out);
	assert_int_equal(lt_exchange_stats(fx->x, FX_ADMIN_WHO, "", "", "week", &out, &err), LT_EINVAL);

	/* Retention: nothing while a recipient has not acknowledged; once every
	 * delivery is done the bodies go and the trace stays. */
	size_t removed = 0;
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, "2099-01-01", &removed, &err), LT_OK);
	assert_int_equal(removed, 0);
	/* Housekeeping is the hub's: a system cannot make bodies go early. */
	assert_int_equal(lt_exchange_expire(fx->x, FX_CTX(&fx->h26), "2099-01-01", &removed, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h26), id, "done", &out, &err), LT_OK);
	json_decref(out);
	struct lt_inbox_query iq = {"status", 0, 500};
	json_t *inbox = NULL;
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->g22, &iq, &inbox, &err), LT_OK);
	size_t k;
	json_t *it;
	json_array_foreach(json_object_get(inbox, "items"), k, it)
	{
		assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->g22), json_string_value(json_object_get(it, "id")),
						 "done", &out, &err),
				 LT_OK);
		json_decref(out);
	}
	json_decref(inbox);
	char tomorrow[16];
	time_t t = time(NULL) + 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, tomorrow, &removed, &err), LT_OK);
	assert_int_equal(removed, 0); /* inside the 30 days since the last ack */
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, "2099-01-01", &removed, &err), LT_OK);
	assert_int_equal(removed, 5);
	assert_int_equal(count_packages(fx), 0);
	assert_int_equal(lt_exchange_open_body(fx->x, &fx->h17, id, &fd, &size, &err), LT_ENOTFOUND);
	assert_non_null(strstr(err.msg, "retention"));
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	assert_true(json_is_true(json_object_get(out, "body_removed")));
	json_decref(out);
	json_decref(reply);
	free(p);
}

struct worker {
	struct fx *fx;
	int from, n;
	int ok;
};

static void *sender(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->n; i++) {
		char num[16];
		snprintf(num, sizeof num, "%d", w->from + i);
		char *p = edoc("000.00.00.G22", "000.00.00.H26", num, "Song song");
		json_t *reply = NULL;
		bool replayed;
		struct lt_err err = {0};
		if (send_pkg(w->fx, &w->fx->g22, p, &reply, &replayed, &err) == LT_OK && !replayed)
			w->ok++;
		json_decref(reply);
		free(p);
	}
	return NULL;
}

static void test_concurrent_sends(void **state)
{
	struct fx *fx = *state;
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){fx, 1000 + i * 25, 25, 0};
		pthread_create(&t[i], NULL, sender, &w[i]);
	}
	int ok = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	assert_int_equal(ok, 200);
	assert_int_equal(count_packages(fx), 200);
	struct lt_inbox_query q = {"edoc", 0, 500};
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->h26, &q, &out, &err), LT_OK);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 200);
	json_decref(out);
}

/* ---- review fixes: each test below failed before its fix ---- */

/* A second connection on the test database, for what no API does: moving
 * a document's arrival into the past, or writing a row as an older version
 * wrote it. */
static void sql_exec(struct fx *fx, const char *sql, const char *a, const char *b)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (a)
		sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(q, 2, b, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The result code of one statement (for constraints that must hold). */
static int sql_try(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static const char *send_ok(struct fx *fx, const struct lt_principal *who, const char *text, json_t **reply)
{
	struct lt_err err = {0};
	bool replayed;
	if (send_pkg(fx, who, text, reply, &replayed, &err) != LT_OK)
		fail_msg("send refused: %s", err.msg);
	return json_string_value(json_object_get(*reply, "id"));
}

static json_t *find_item(json_t *inbox, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(inbox, "items"), i, it)
	{
		if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0)
			return it;
	}
	return NULL;
}

/* Bug 1: a subject or a status description longer than its field was cut
 * in the middle of a character, and every inbox or trace carrying it
 * answered 500 (json_pack refuses invalid UTF-8). */
static void test_long_vietnamese_text_is_cut_whole(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	/* "Về việc " is 12 bytes and "ệ" 3: the 511 bytes a field keeps end
	 * inside the 167th "ệ". */
	char text[700] = "Về việc ";
	for (int i = 0; i < 200; i++)
		strcat(text, "ệ");
	assert_true(((unsigned char)text[511] & 0xC0) == 0x80);
	char *p = edoc("000.00.00.G22", "000.00.00.H17", "51", text);
	json_t *reply = NULL, *out = NULL;
	const char *id = send_ok(fx, &fx->g22, p, &reply);

	struct lt_inbox_query q = {"edoc", 0, 500};
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->h17, &q, &out, &err), LT_OK);
	json_t *it = find_item(out, id);
	assert_non_null(it);
	const char *subject = json_string_value(json_object_get(it, "subject"));
	assert_non_null(subject);
	assert_true(lt_text_is_clean_utf8(subject));
	assert_int_equal(strlen(subject), 510); /* the whole characters that fit */
	assert_memory_equal(subject, text, 510);
	char *dump = json_dumps(out, 0);
	assert_non_null(dump);
	free(dump);
	json_decref(out);

	/* The recipient answers with a status whose description is as long. */
	const char *docid = json_string_value(json_object_get(reply, "document_id"));
	char *s = status_desc("000.00.00.H17", "000.00.00.G22", docid, "01", text);
	json_t *r2 = NULL;
	send_ok(fx, &fx->h17, s, &r2);
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	assert_true(lt_text_is_clean_utf8(json_string_value(json_object_get(out, "subject"))));
	json_t *sts = json_object_get(json_array_get(json_object_get(out, "recipients"), 0), "statuses");
	assert_int_equal(json_array_size(sts), 1);
	const char *desc = json_string_value(json_object_get(json_array_get(sts, 0), "description"));
	assert_non_null(desc);
	assert_true(lt_text_is_clean_utf8(desc));
	assert_int_equal(strlen(desc), 510);
	json_decref(out);
	q.kind = "status";
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->g22, &q, &out, &err), LT_OK);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);

	/* A row an older version cut mid-character still reads as whole
	 * characters: the inbox is not locked by what is already stored. */
	char broken[16];
	snprintf(broken, sizeof broken, "Báo cáo %.2s", "ệ"); /* ends with 2 of 3 bytes */
	sql_exec(fx, "UPDATE xdocs SET subject = ?2 WHERE id = ?1", id, broken);
	q.kind = "edoc";
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->h17, &q, &out, &err), LT_OK);
	assert_string_equal(json_string_value(json_object_get(find_item(out, id), "subject")), "Báo cáo ");
	json_decref(out);
	json_decref(r2);
	json_decref(reply);
	free(s);
	free(p);
}

static size_t transport_events(struct fx *fx, const char *id)
{
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	size_t n = json_array_size(json_object_get(json_array_get(json_object_get(out, "recipients"), 0), "transport"));
	json_decref(out);
	return n;
}

/* Bug 2: processing or fail after done put the document back in the inbox. */
static void test_done_is_final(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H17", "52", "Kết thúc");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, "done", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 0);
	assert_int_equal(transport_events(fx, id), 2); /* pending, done */
	const char *late[] = {"processing", "fail", "done"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, late[i], &out, &err), LT_OK);
		assert_string_equal(json_string_value(json_object_get(out, "state")), "done");
		assert_int_equal(json_integer_value(json_object_get(out, "deliveries")), 1);
		json_decref(out);
		assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 0);
		assert_int_equal(transport_events(fx, id), 2);
	}
	/* Before done, processing and fail still move a delivery. */
	char *p2 = edoc("000.00.00.G22", "000.00.00.H17", "53", "Đang xử lý");
	json_t *r2 = NULL;
	const char *id2 = send_ok(fx, &fx->g22, p2, &r2);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id2, "fail", &out, &err), LT_OK);
	assert_string_equal(json_string_value(json_object_get(out, "state")), "fail");
	json_decref(out);
	assert_int_equal(transport_events(fx, id2), 2);
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 1);
	json_decref(r2);
	json_decref(reply);
	free(p2);
	free(p);
}

static size_t trace_statuses(struct fx *fx, const char *id)
{
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	size_t n = json_array_size(json_object_get(out, "sender_statuses"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(out, "recipients"), i, r) n +=
		json_array_size(json_object_get(r, "statuses"));
	json_decref(out);
	return n;
}

/* Bug 3: a status was matched to a document by DocumentId alone, so any
 * system could write on any document's trace (and revoke it). */
static void test_status_only_from_the_parties(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *r = NULL;
	bool replayed;
	char *p = edoc("000.00.00.G22", "000.00.00.H47", "54", "Gửi Quảng Nam");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	const char *docid = json_string_value(json_object_get(reply, "document_id"));

	/* Hà Nội never received it: its 06 and its 13 are refused. */
	char *s = status("000.00.00.H26", "000.00.00.G22", docid, "06");
	assert_int_equal(send_pkg(fx, &fx->h26, s, &r, &replayed, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "000.00.00.H26"));
	assert_non_null(strstr(err.msg, "recipients"));
	free(s);
	s = status("000.00.00.H26", "000.00.00.G22", docid, "13");
	assert_int_equal(send_pkg(fx, &fx->h26, s, &r, &replayed, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "sender"));
	free(s);
	/* A recipient answers but does not revoke. */
	s = status("000.00.00.H17", "000.00.00.G22", docid, "13");
	assert_int_equal(send_pkg(fx, &fx->h17, s, &r, &replayed, &err), LT_EFORBIDDEN);
	free(s);
	assert_int_equal(trace_statuses(fx, id), 0);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 0);
	assert_int_equal(inbox_count(fx, &fx->h17, "status"), 0);
	assert_int_equal(count_packages(fx), 1);

	/* The recipient (H17, where H47's copy was routed) and the sender may. */
	s = status("000.00.00.H17", "000.00.00.G22", docid, "01");
	send_ok(fx, &fx->h17, s, &r);
	json_decref(r);
	free(s);
	s = status("000.00.00.G22", "000.00.00.G22", docid, "13");
	send_ok(fx, &fx->g22, s, &r);
	json_decref(r);
	free(s);
	assert_int_equal(trace_statuses(fx, id), 2);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 1);
	assert_int_equal(inbox_count(fx, &fx->h17, "status"), 1);

	/* About a DocumentId the hub never carried: relayed, on no trace. */
	s = status("000.00.00.H26", "000.00.00.G22", "000.00.00.G22,2026/01/02,9/XX", "01");
	send_ok(fx, &fx->h26, s, &r);
	json_decref(r);
	free(s);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 2);
	assert_int_equal(trace_statuses(fx, id), 2);
	json_decref(reply);
	free(p);
}

/* Bug 4: retention counted from arrival, so a document acknowledged today
 * after weeks of processing lost its body at once. */
static void test_retention_counts_from_the_last_ack(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "55", "Xử lý lâu");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	/* It arrived years ago and was processed until now. */
	sql_exec(fx, "UPDATE xdocs SET received = '2020-01-01T00:00:00Z' WHERE id = ?1", id, NULL);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h26), id, "processing", &out, &err), LT_OK);
	json_decref(out);
	char now[32], today[LT_DATE_BUFSZ], later[LT_DATE_BUFSZ];
	lt_time_now(now);
	snprintf(today, sizeof today, "%.10s", now);
	size_t removed = 9;
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, today, &removed, &err), LT_OK);
	assert_int_equal(removed, 0); /* still being processed */
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h26), id, "done", &out, &err), LT_OK);
	json_decref(out);
	/* 10 days after the last acknowledgement: inside the 30 days. */
	assert_int_equal(lt_date_add_days(today, 10, later, &err), LT_OK);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, later, &removed, &err), LT_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(count_packages(fx), 1);
	/* 31 days after it: gone, the trace stays. */
	assert_int_equal(lt_date_add_days(today, 31, later, &err), LT_OK);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, later, &removed, &err), LT_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_packages(fx), 0);
	json_decref(reply);
	free(p);
}

/* A job as lt_upload_finish makes it: one edoc from G22 to H26. A bad job's
 * delivery names a document that does not exist, which the store refuses
 * (foreign key) after the document row itself went in. */
static void make_job(struct fx *fx, struct lt__job *j, struct lt_xdelivery *dl, const char *id, const char *number,
		     bool bad)
{
	memset(j, 0, sizeof *j);
	memset(dl, 0, sizeof *dl);
	snprintf(j->doc.id, sizeof j->doc.id, "%s", id);
	snprintf(j->doc.kind, sizeof j->doc.kind, "edoc");
	snprintf(j->doc.document_id, sizeof j->doc.document_id, "000.00.00.G22,2026/11/20,%s/UBND-VP", number);
	j->doc.system_id = fx->g22.system_id;
	snprintf(j->doc.from_code, sizeof j->doc.from_code, "000.00.00.G22");
	memset(j->doc.sha256, 'a', 64);
	j->doc.size = 100;
	lt_time_now(j->doc.received);
	j->doc.doctype = -1;
	snprintf(dl->doc, sizeof dl->doc, "%s", bad ? "ffffffffffffffffffffffffffffffff" : id);
	snprintf(dl->addressed, sizeof dl->addressed, "000.00.00.H26");
	snprintf(dl->routed_to, sizeof dl->routed_to, "000.00.00.H26");
	snprintf(dl->state, sizeof dl->state, "pending");
	snprintf(dl->updated, sizeof dl->updated, "%s", j->doc.received);
	j->deliveries = dl;
	j->n_deliveries = 1;
}

/* Bug 5: one job the store refused failed every job of its batch. The jobs
 * are queued together under the hub's lock, so they are written as one
 * batch. */
static void test_batch_with_one_failing_job(void **state)
{
	struct fx *fx = *state;
	struct lt__job jobs[3];
	struct lt_xdelivery dls[3];
	make_job(fx, &jobs[0], &dls[0], "0123456789abcdef0123456789abcde0", "61", false);
	make_job(fx, &jobs[1], &dls[1], "0123456789abcdef0123456789abcde1", "62", true);
	make_job(fx, &jobs[2], &dls[2], "0123456789abcdef0123456789abcde2", "63", false);
	jobs[0].next = &jobs[1];
	jobs[1].next = &jobs[2];
	assert_int_equal(lt__commit_jobs(fx->x, &jobs[0]), LT_OK);
	assert_true(jobs[0].done && jobs[1].done && jobs[2].done);

	assert_int_equal(jobs[0].rc, LT_OK);
	assert_int_equal(jobs[2].rc, LT_OK);
	assert_int_not_equal(jobs[1].rc, LT_OK);
	assert_non_null(strstr(jobs[1].err.msg, "delivery"));
	/* The rows each job's reply is built from: none for the failed one. */
	assert_int_equal(jobs[0].n_written, 1);
	assert_string_equal(jobs[0].written[0].routed_to, "000.00.00.H26");
	assert_int_equal(jobs[0].written[0].system_id, fx->h26.system_id);
	assert_int_equal(jobs[1].n_written, 0);
	assert_int_equal(jobs[2].n_written, 1);
	for (int i = 0; i < 3; i++)
		free(jobs[i].written); /* the job's owner frees them (lt_upload_abort) */
	assert_int_equal(inbox_count(fx, &fx->h26, "edoc"), 2);
	/* The failed job left nothing, not even its document row. */
	struct lt_xdoc d;
	struct lt_err err = {0};
	struct lt_store *st = lt_registry_store(fx->r);
	assert_int_equal(lt_store_xdoc_get(st, jobs[0].doc.id, &d, &err), LT_OK);
	assert_int_equal(lt_store_xdoc_get(st, jobs[1].doc.id, &d, &err), LT_ENOTFOUND);
	assert_int_equal(lt_store_xdoc_get(st, jobs[2].doc.id, &d, &err), LT_OK);

	/* The idempotency keys are unique in the table itself. */
	assert_int_equal(sql_try(fx, "INSERT INTO xdocs (id, kind, document_id, system_id, from_code, sha256, size, "
				     "received) SELECT 'x1', kind, document_id, system_id, from_code, 'b', 1, received "
				     "FROM xdocs WHERE id = '0123456789abcdef0123456789abcde0'"),
			 SQLITE_CONSTRAINT);
	assert_int_equal(sql_try(fx, "INSERT INTO xdocs (id, kind, document_id, system_id, from_code, sha256, size, "
				     "received) VALUES ('s1', 'status', '', 1, 'c', 'samebytes', 1, 'now'), "
				     "('s2', 'status', '', 1, 'c', 'samebytes', 1, 'now')"),
			 SQLITE_CONSTRAINT);
	/* Statuses have no DocumentId: many from one system are fine. */
	assert_int_equal(sql_try(fx, "INSERT INTO xdocs (id, kind, document_id, system_id, from_code, sha256, size, "
				     "received) VALUES ('s1', 'status', '', 1, 'c', 'bytes1', 1, 'now'), "
				     "('s2', 'status', '', 1, 'c', 'bytes2', 1, 'now')"),
			 SQLITE_OK);
}

/* An acknowledgement as lt_exchange_ack queues it. */
static void make_ack(struct lt__job *j, const char *id, int64_t system_id, const char *state)
{
	memset(j, 0, sizeof *j);
	j->kind = LT__JOB_ACK;
	j->ack_doc = id;
	j->ack_state = state;
	j->ack_system = system_id;
	lt_time_now(j->ack_at);
}

static unsigned long long commits(struct fx *fx)
{
	pthread_mutex_lock(&fx->x->lock);
	unsigned long long n = fx->x->commits;
	pthread_mutex_unlock(&fx->x->lock);
	return n;
}

/* Acknowledgements go through the group commit: queued with a send, they
 * are written in the same transaction, each in its own savepoint, and one
 * refused (a document not addressed to the system, an unknown document)
 * fails alone. */
static void test_acks_share_a_commit_with_sends(void **state)
{
	struct fx *fx = *state;
	json_t *r1 = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "71", "Cùng một lần ghi");
	const char *id = send_ok(fx, &fx->g22, p, &r1);
	struct lt__job jobs[5];
	struct lt_xdelivery dl;
	make_job(fx, &jobs[0], &dl, "0123456789abcdef0123456789abcdf0", "72", false);
	make_ack(&jobs[1], id, fx->h26.system_id, "processing");
	make_ack(&jobs[2], id, fx->h17.system_id, "done");
	make_ack(&jobs[3], "ffffffffffffffffffffffffffffffff", fx->h26.system_id, "done");
	make_ack(&jobs[4], id, fx->h26.system_id, "done");
	for (int i = 0; i < 4; i++)
		jobs[i].next = &jobs[i + 1];
	unsigned long long before = commits(fx);
	assert_int_equal(lt__commit_jobs(fx->x, &jobs[0]), LT_OK);
	assert_int_equal(commits(fx), before + 1);
	for (int i = 0; i < 5; i++)
		assert_true(jobs[i].done);
	assert_int_equal(jobs[1].rc, LT_OK);
	assert_int_equal(jobs[1].ack_n, 1);
	assert_int_equal(jobs[1].ack_mine, 1); /* processing: the state is read back */
	assert_int_equal(jobs[1].ack_done, 0);
	assert_int_equal(jobs[2].rc, LT_EFORBIDDEN);
	assert_non_null(strstr(jobs[2].err.msg, "not delivered to this system"));
	assert_int_equal(jobs[3].rc, LT_ENOTFOUND);
	assert_int_equal(jobs[4].rc, LT_OK);
	assert_int_equal(jobs[4].ack_n, 1);
	/* In order: pending, processing, done; the send's document waits. */
	assert_int_equal(transport_events(fx, id), 3);
	struct lt_inbox_query q = {"edoc", 0, 500};
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->h26, &q, &out, &err), LT_OK);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	assert_non_null(find_item(out, jobs[0].doc.id));
	json_decref(out);
	json_decref(r1);
	free(jobs[0].written);
	free(p);
}

/* Two workers of one system acknowledge the same documents at once (one
 * says processing first, then done; the other done at once, then a late
 * processing), while other threads send: every reply after done says done,
 * each delivery has one done event and nothing after it, and the sends all
 * land. The acknowledgements and sends share commits. */
#define N_ACKED 24
struct acker {
	struct fx *fx;
	char (*ids)[LT_DOC_ID_BUFSZ];
	const char *first;
	int bad;
	char why[200];
};

static void *acker(void *arg)
{
	struct acker *a = arg;
	for (int i = 0; i < N_ACKED; i++) {
		const char *steps[] = {a->first, "done", "processing"};
		for (int k = 0; k < 3; k++) {
			json_t *out = NULL;
			struct lt_err err = {0};
			int rc = lt_exchange_ack(a->fx->x, FX_CTX(&a->fx->h26), a->ids[i], steps[k], &out, &err);
			const char *st = rc == LT_OK ? json_string_value(json_object_get(out, "state")) : NULL;
			/* After this worker's own done, the state can only be done. */
			bool want_done = k > 0 || strcmp(a->first, "done") == 0;
			if (rc != LT_OK || !st || (want_done && strcmp(st, "done") != 0)) {
				if (!a->bad++)
					snprintf(a->why, sizeof a->why, "%s %s: rc %d state %s %s", a->ids[i], steps[k],
						 rc, st ? st : "-", err.msg);
			}
			json_decref(out);
		}
	}
	return NULL;
}

static void test_concurrent_acks_and_sends(void **state)
{
	struct fx *fx = *state;
	char ids[N_ACKED][LT_DOC_ID_BUFSZ];
	for (int i = 0; i < N_ACKED; i++) {
		char num[16];
		json_t *r = NULL;
		snprintf(num, sizeof num, "%d", 500 + i);
		char *p = edoc("000.00.00.G22", "000.00.00.H26", num, "Xác nhận song song");
		snprintf(ids[i], sizeof ids[i], "%s", send_ok(fx, &fx->g22, p, &r));
		json_decref(r);
		free(p);
	}
	unsigned long long before = commits(fx);
	pthread_t t[8];
	struct acker a[4];
	struct worker w[4];
	const char *first[] = {"processing", "done", "fail", "done"};
	for (int i = 0; i < 4; i++) {
		a[i] = (struct acker){.fx = fx, .ids = ids, .first = first[i]};
		w[i] = (struct worker){fx, 2000 + i * 10, 10, 0};
		assert_int_equal(pthread_create(&t[i], NULL, acker, &a[i]), 0);
		assert_int_equal(pthread_create(&t[4 + i], NULL, sender, &w[i]), 0);
	}
	int sent = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		pthread_join(t[4 + i], NULL);
		if (a[i].bad)
			fail_msg("acker %d: %d bad replies, first: %s", i, a[i].bad, a[i].why);
		sent += w[i].ok;
	}
	assert_int_equal(sent, 40);
	/* 4 x 3 acknowledgements per document, and 40 sends. Many threads
	 * queued at once: fewer commits than writes. */
	unsigned long long writes = 4 * 3 * N_ACKED + 40;
	assert_true(commits(fx) - before < writes);
	assert_int_equal(inbox_count(fx, &fx->h26, "edoc"), 40);
	for (int i = 0; i < N_ACKED; i++) {
		json_t *out = NULL;
		struct lt_err err = {0};
		assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, ids[i], &out, &err), LT_OK);
		json_t *tr = json_object_get(json_array_get(json_object_get(out, "recipients"), 0), "transport");
		size_t n = json_array_size(tr), dones = 0;
		assert_true(n >= 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(tr, 0), "state")), "pending");
		assert_string_equal(json_string_value(json_object_get(json_array_get(tr, n - 1), "state")), "done");
		for (size_t k = 0; k < n; k++)
			dones +=
				strcmp(json_string_value(json_object_get(json_array_get(tr, k), "state")), "done") == 0;
		assert_int_equal(dones, 1);
		json_decref(out);
	}
}

struct finisher {
	struct lt_upload *u;
	json_t *reply;
	bool replayed;
	int rc;
	struct lt_err err;
};

static void *finish(void *arg)
{
	struct finisher *f = arg;
	f->rc = lt_upload_finish(f->u, &f->reply, &f->replayed, &f->err);
	return NULL;
}

/* The one spool file of an upload in data/tmp. */
static void spool_name(struct fx *fx, char out[256])
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls %s/tmp", fx->data);
	FILE *p = popen(cmd, "r");
	char name[128];
	assert_int_equal(fscanf(p, "%127s", name), 1);
	pclose(p);
	snprintf(out, 256, "%s/tmp/%s", fx->data, name);
}

/* Bug 6: after its rename, an upload still unlinked its spool name when it
 * ended, removing the spool file of another upload that mkstemp had given
 * the same name meanwhile. The commit thread renames the body and then
 * waits (LIENTHONG_TEST_COMMIT_PAUSE_MS) before the commit, while that
 * other file appears. */
static void test_abort_after_rename_leaves_the_name(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	lt_exchange_close(fx->x);
	setenv("LIENTHONG_TEST_COMMIT_PAUSE_MS", "1000", 1);
	struct lt_exchange_opts o = {.data_dir = fx->data, .max_package_bytes = 1 << 20, .retention_days = 30};
	int orc = lt_exchange_open(&fx->x, fx->r, &o, &err);
	unsetenv("LIENTHONG_TEST_COMMIT_PAUSE_MS");
	assert_int_equal(orc, LT_OK);
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "56", "Tên tạm");
	struct finisher f = {0};
	assert_int_equal(lt_upload_begin(fx->x, FX_CTX(&fx->g22), &f.u, &err), LT_OK);
	assert_int_equal(lt_upload_feed(f.u, p, strlen(p), &err), LT_OK);
	char spool[256];
	spool_name(fx, spool);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, finish, &f), 0);
	for (int i = 0; access(spool, F_OK) == 0; i++) {
		assert_true(i < 10000); /* 10 s */
		usleep(1000);
	}
	/* Renamed, and waiting for the commit: another upload takes the name. */
	FILE *other = fopen(spool, "w");
	assert_non_null(other);
	fputs("another upload's bytes", other);
	fclose(other);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(f.rc, LT_OK);
	assert_int_equal(access(spool, F_OK), 0);
	unlink(spool);
	json_decref(f.reply);
	free(p);
}

static void write_file(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

/* Bug 7: after a crash, spool files and bodies whose rows never committed
 * stayed for ever. Reopening the hub sweeps them, and only them. */
static void test_startup_sweep(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *r1 = NULL, *r2 = NULL;
	char *p1 = edoc("000.00.00.G22", "000.00.00.H26", "57", "Giữ lại");
	char *p2 = edoc("000.00.00.G22", "000.00.00.H26", "58", "Đã hết hạn");
	const char *kept = send_ok(fx, &fx->g22, p1, &r1);
	const char *expired = send_ok(fx, &fx->g22, p2, &r2);
	/* Retention marked this body removed and crashed before the unlink. */
	assert_int_equal(lt_store_xbody_removed(lt_registry_store(fx->r), expired, &err), LT_OK);
	char path[6][512];
	snprintf(path[0], sizeof path[0], "%s/tmp/upload-Ab12Cd", fx->data); /* a spool file */
	snprintf(path[1], sizeof path[1], "%s/tmp/notes.txt", fx->data);     /* not the hub's */
	snprintf(path[2], sizeof path[2], "%s/packages/ab", fx->data);
	mkdir(path[2], 0750);
	snprintf(path[2], sizeof path[2], "%s/packages/ab/ab0000000000000000000000000000ff.xml", fx->data);
	snprintf(path[3], sizeof path[3], "%s/packages/ab/README", fx->data); /* not the hub's */
	snprintf(path[4], sizeof path[4], "%s/packages/%.2s/%s.xml", fx->data, kept, kept);
	snprintf(path[5], sizeof path[5], "%s/packages/%.2s/%s.xml", fx->data, expired, expired);
	for (int i = 0; i < 4; i++)
		write_file(path[i]);
	assert_int_equal(access(path[4], F_OK), 0);
	assert_int_equal(access(path[5], F_OK), 0);

	lt_exchange_close(fx->x);
	struct lt_exchange_opts o = {.data_dir = fx->data, .max_package_bytes = 1 << 20, .retention_days = 30};
	assert_int_equal(lt_exchange_open(&fx->x, fx->r, &o, &err), LT_OK);
	assert_int_not_equal(access(path[0], F_OK), 0);
	assert_int_equal(access(path[1], F_OK), 0);
	assert_int_not_equal(access(path[2], F_OK), 0);
	assert_int_equal(access(path[3], F_OK), 0);
	assert_int_equal(access(path[4], F_OK), 0);
	assert_int_not_equal(access(path[5], F_OK), 0);
	/* The kept document is whole. */
	int fd;
	uint64_t size;
	assert_int_equal(lt_exchange_open_body(fx->x, &fx->h26, kept, &fd, &size, &err), LT_OK);
	assert_int_equal(size, strlen(p1));
	close(fd);
	json_decref(r1);
	json_decref(r2);
	free(p1);
	free(p2);
}

/* Bug 8: a revocation that reached two recipients was listed twice on the
 * sender's trace. */
static void test_revocation_listed_once(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *r = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H17,000.00.00.H26", "59", "Thu hồi");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	const char *docid = json_string_value(json_object_get(reply, "document_id"));
	char *s = status("000.00.00.G22", "000.00.00.G22", docid, "13");
	const char *sid = send_ok(fx, &fx->g22, s, &r);
	assert_int_equal(inbox_count(fx, &fx->h17, "status"), 1);
	assert_int_equal(inbox_count(fx, &fx->h26, "status"), 1);
	assert_int_equal(lt_exchange_trace(fx->x, &fx->g22, id, &out, &err), LT_OK);
	json_t *own = json_object_get(out, "sender_statuses");
	assert_int_equal(json_array_size(own), 1);
	json_t *e = json_array_get(own, 0);
	assert_string_equal(json_string_value(json_object_get(e, "status_id")), sid);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "13");
	json_t *reached = json_object_get(e, "reached");
	assert_int_equal(json_array_size(reached), 2);
	assert_string_equal(json_string_value(json_array_get(reached, 0)), "000.00.00.H17");
	assert_string_equal(json_string_value(json_array_get(reached, 1)), "000.00.00.H26");
	json_decref(out);
	json_decref(r);
	json_decref(reply);
	free(s);
	free(p);
}

/* ---- issue 17: a delivery belongs to a receiving system ---- */

static json_t *trace_of(struct fx *fx, const char *id)
{
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	struct lt_err err = {0};
	json_t *t = NULL;
	assert_int_equal(lt_exchange_trace(fx->x, &admin, id, &t, &err), LT_OK);
	return t;
}

/* The states of the trace's recipients, "code>system:state" joined by spaces. */
static void trace_states(struct fx *fx, const char *id, char *out, size_t cap)
{
	json_t *t = trace_of(fx, id);
	size_t i, o = 0;
	json_t *r;
	out[0] = '\0';
	json_array_foreach(json_object_get(t, "recipients"), i, r)
	{
		json_t *sys = json_object_get(r, "system");
		o += (size_t)snprintf(out + o, cap - o, "%s%s>%lld:%s", o ? " " : "",
				      json_string_value(json_object_get(r, "code")) + 10,
				      sys ? (long long)json_integer_value(json_object_get(sys, "id")) : 0LL,
				      json_string_value(json_object_get(r, "state")));
	}
	json_decref(t);
}

/* Two systems bound to one code: each has its own delivery, inbox entry and
 * acknowledgement. Before, the delivery belonged to the code and either
 * system's done took it out of the other's inbox; a system bound to the
 * code afterwards read and acknowledged what was delivered before. */
static void test_shared_code_each_its_own(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal other, late;
	make_system(fx, "000.00.00.H26", &other);
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "70", "Hai hệ thống");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	char want[128], got[256];
	snprintf(want, sizeof want, "H26>%lld:pending H26>%lld:pending", (long long)fx->h26.system_id,
		 (long long)other.system_id);
	trace_states(fx, id, got, sizeof got);
	assert_string_equal(got, want);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 1);
	assert_int_equal(inbox_count(fx, &other, NULL), 1);
	/* One's done leaves the other's delivery pending and in its inbox. */
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h26), id, "done", &out, &err), LT_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "deliveries")), 1);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 0);
	assert_int_equal(inbox_count(fx, &other, NULL), 1);
	snprintf(want, sizeof want, "H26>%lld:done H26>%lld:pending", (long long)fx->h26.system_id,
		 (long long)other.system_id);
	trace_states(fx, id, got, sizeof got);
	assert_string_equal(got, want);
	/* A system bound to H26 afterwards: nothing of it to read or acknowledge. */
	make_system(fx, "000.00.00.H26", &late);
	assert_int_equal(inbox_count(fx, &late, NULL), 0);
	int fd = -1;
	uint64_t size;
	assert_int_equal(lt_exchange_open_body(fx->x, &late, id, &fd, &size, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_trace(fx->x, &late, id, &out, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&late), id, "done", &out, &err), LT_EFORBIDDEN);
	trace_states(fx, id, got, sizeof got);
	assert_string_equal(got, want);
	/* Both first receivers still read it. */
	assert_int_equal(lt_exchange_open_body(fx->x, &other, id, &fd, &size, &err), LT_OK);
	close(fd);
	json_decref(reply);
	free(p);
}

/* A status package goes to each system that receives for the code it
 * answers, each with its own acknowledgement. */
static void test_status_relayed_per_system(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal g22b;
	make_system(fx, "000.00.00.G22", &g22b);
	json_t *reply = NULL, *sreply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26", "71", "Trạng thái");
	send_ok(fx, &fx->g22, p, &reply);
	char *st = status("000.00.00.H26", "000.00.00.G22", "000.00.00.G22,2026/11/20,71/UBND-VP", "01");
	const char *sid = send_ok(fx, &fx->h26, st, &sreply);
	assert_int_equal(json_array_size(json_object_get(sreply, "recipients")), 2);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 1);
	assert_int_equal(inbox_count(fx, &g22b, "status"), 1);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&g22b), sid, "done", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->g22, "status"), 1);
	assert_int_equal(inbox_count(fx, &g22b, "status"), 0);
	json_decref(reply);
	json_decref(sreply);
	free(p);
	free(st);
}

static const char *recipient_field(json_t *reply, const char *code, const char *field)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(reply, "recipients"), i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "code")), code) == 0)
			return json_string_value(json_object_get(r, field));
	}
	return NULL;
}

/* A recipient the registry does not know is refused for itself; the others
 * are delivered. Before, the whole package was refused. */
static void test_unknown_recipient_refused_alone(void **state)
{
	struct fx *fx = *state;
	json_t *reply = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26,000.00.00.H55", "72", "Một mã lạ");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	assert_string_equal(recipient_field(reply, "000.00.00.H26", "state"), "pending");
	assert_string_equal(recipient_field(reply, "000.00.00.H55", "state"), "refused");
	assert_string_equal(recipient_field(reply, "000.00.00.H55", "reason"),
			    "000.00.00.H55 is not a code of the registry");
	char got[256];
	trace_states(fx, id, got, sizeof got);
	char want[128];
	snprintf(want, sizeof want, "H26>%lld:pending H55>0:refused", (long long)fx->h26.system_id);
	assert_string_equal(got, want);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 1);
	json_decref(reply);
	free(p);
}

/* A unit with no receiving system: the delivery says no_system (before: a
 * silent pending nobody would ever fetch) and becomes the system's that is
 * bound to the code within hold_days, in the binding's transaction. */
static void test_no_system_then_bound(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H14,000.00.00.H26", "73", "Chưa có hệ thống");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	assert_string_equal(recipient_field(reply, "000.00.00.H14", "state"), "no_system");
	assert_non_null(strstr(recipient_field(reply, "000.00.00.H14", "reason"), "waits up to 30 days"));
	/* Only H14 named: accepted as well, it may still be delivered. */
	char *q = edoc("000.00.00.G22", "000.00.00.H14", "74", "Chỉ Cao Bằng");
	json_t *reply2 = NULL;
	const char *id2 = send_ok(fx, &fx->g22, q, &reply2);
	assert_string_equal(recipient_field(reply2, "000.00.00.H14", "state"), "no_system");
	struct lt_principal h14;
	make_system(fx, "000.00.00.H14", &h14);
	assert_int_equal(inbox_count(fx, &h14, NULL), 2);
	char got[256], want[128];
	trace_states(fx, id2, got, sizeof got);
	snprintf(want, sizeof want, "H14>%lld:pending", (long long)h14.system_id);
	assert_string_equal(got, want);
	assert_int_equal(transport_events(fx, id2), 2); /* no_system, then pending at the binding */
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&h14), id, "done", &out, &err), LT_OK);
	json_decref(out);
	/* A replay of the send says where the recipient is now. */
	bool replayed = false;
	json_t *again = NULL;
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_OK);
	assert_true(replayed);
	assert_string_equal(recipient_field(again, "000.00.00.H14", "state"), "pending");
	json_decref(again);
	json_decref(reply);
	json_decref(reply2);
	free(p);
	free(q);
}

/* Past hold_days a waiting delivery is expired: a later binding does not
 * claim it, and its package can expire under retention. */
static void test_no_system_expires(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H14", "75", "Hết hạn chờ");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	char now[32], today[LT_DATE_BUFSZ], then[LT_DATE_BUFSZ], later[LT_DATE_BUFSZ];
	lt_time_now(now);
	snprintf(today, sizeof today, "%.10s", now);
	size_t removed = 9;
	/* Sent 29 days ago: still waiting. */
	assert_int_equal(lt_date_add_days(today, -29, then, &err), LT_OK);
	sql_exec(fx, "UPDATE xdeliveries SET updated = ?2 WHERE doc = ?1", id, then);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, today, &removed, &err), LT_OK);
	char got[256];
	trace_states(fx, id, got, sizeof got);
	assert_string_equal(got, "H14>0:no_system");
	/* Sent 31 days ago: expired, with the reason on the trace. */
	assert_int_equal(lt_date_add_days(today, -31, then, &err), LT_OK);
	sql_exec(fx, "UPDATE xdeliveries SET updated = ?2 WHERE doc = ?1", id, then);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, today, &removed, &err), LT_OK);
	assert_int_equal(removed, 0); /* retention counts from the expiry */
	trace_states(fx, id, got, sizeof got);
	assert_string_equal(got, "H14>0:expired");
	json_t *t = trace_of(fx, id);
	json_t *r0 = json_array_get(json_object_get(t, "recipients"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(r0, "reason")), "within 30 days"));
	json_decref(t);
	struct lt_principal h14;
	make_system(fx, "000.00.00.H14", &h14);
	assert_int_equal(inbox_count(fx, &h14, NULL), 0);
	/* Retention then removes the body 30 days after the expiry. */
	assert_int_equal(lt_date_add_days(today, 31, later, &err), LT_OK);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, later, &removed, &err), LT_OK);
	assert_int_equal(removed, 1);
	json_decref(reply);
	free(p);
}

/* The review's bug: a package addressed to a closed code and to its
 * successor has one delivery merged into the other at upload; merged never
 * changed, so retention never removed the package. */
static void test_merged_package_expires(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H47,000.00.00.H17", "76", "Gộp");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	char got[256], want[128];
	trace_states(fx, id, got, sizeof got);
	snprintf(want, sizeof want, "H47>%lld:pending H17>0:merged", (long long)fx->h17.system_id);
	assert_string_equal(got, want);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h17), id, "done", &out, &err), LT_OK);
	assert_string_equal(json_string_value(json_object_get(out, "state")), "done");
	json_decref(out);
	char now[32], today[LT_DATE_BUFSZ], later[LT_DATE_BUFSZ];
	lt_time_now(now);
	snprintf(today, sizeof today, "%.10s", now);
	size_t removed = 9;
	assert_int_equal(lt_date_add_days(today, 10, later, &err), LT_OK);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, later, &removed, &err), LT_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(lt_date_add_days(today, 31, later, &err), LT_OK);
	assert_int_equal(lt_exchange_expire(fx->x, FX_ADMIN, later, &removed, &err), LT_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_packages(fx), 0);
	json_decref(reply);
	free(p);
}

/* A manager reads the trace of its units' documents, never a body: before,
 * a manager of the sender's unit fetched the package. */
static void test_manager_reads_traces_not_bodies(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H47", "77", "Quản lý");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	struct lt_principal sender = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.G22"},
			    addressed = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H47"},
			    routed = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H17"},
			    outside = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H26"},
			    reader = {.role = LT_ROLE_READER}, admin = {.role = LT_ROLE_ADMIN};
	const struct lt_principal *in[] = {&sender, &addressed, &routed};
	int fd = -1;
	uint64_t size;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lt_exchange_trace(fx->x, in[i], id, &out, &err), LT_OK);
		json_decref(out);
		assert_int_equal(lt_exchange_open_body(fx->x, in[i], id, &fd, &size, &err), LT_EFORBIDDEN);
		assert_non_null(strstr(err.msg, "not their content"));
	}
	assert_int_equal(lt_exchange_trace(fx->x, &outside, id, &out, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_trace(fx->x, &reader, id, &out, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_open_body(fx->x, &reader, id, &fd, &size, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_open_body(fx->x, &admin, id, &fd, &size, &err), LT_OK);
	close(fd);
	json_decref(reply);
	free(p);
}

/* Migration 8 on a database an older version wrote: a delivery in flight
 * goes to each system bound to its code today (with its transport log), and
 * one whose code no system receives for waits as no_system. */
static void test_migration_splits_deliveries(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *reply = NULL, *out = NULL;
	char *p = edoc("000.00.00.G22", "000.00.00.H26,000.00.00.H14", "78", "Trước khi nâng cấp");
	const char *id = send_ok(fx, &fx->g22, p, &reply);
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&fx->h26), id, "processing", &out, &err), LT_OK);
	json_decref(out);
	struct lt_principal other;
	make_system(fx, "000.00.00.H26", &other);
	/* Back to the shape of version 7: one row per code, no system column. */
	lt_exchange_close(fx->x);
	lt_registry_close(fx->r);
	assert_int_equal(sql_try(fx, "UPDATE xdeliveries SET state = 'pending', reason = '' WHERE state = 'no_system';"
				     "DROP INDEX xdeliveries_waiting; DROP INDEX xdeliveries_inbox;"
				     "ALTER TABLE xdeliveries DROP COLUMN system_id;"
				     "CREATE INDEX xdeliveries_inbox ON xdeliveries(routed_to, state, id);"),
			 SQLITE_OK);
	/* Later migrations stay applied: only migration 8 is replayed. */
	assert_int_equal(sql_try(fx, lt__sqlite_migration(8)), SQLITE_OK);
	assert_int_equal(lt_registry_open(&fx->r, fx->db, &err), LT_OK);
	struct lt_exchange_opts o = {.data_dir = fx->data, .max_package_bytes = 1 << 20, .retention_days = 30};
	assert_int_equal(lt_exchange_open(&fx->x, fx->r, &o, &err), LT_OK);
	char got[256], want[160];
	trace_states(fx, id, got, sizeof got);
	snprintf(want, sizeof want, "H26>%lld:processing H14>0:no_system H26>%lld:processing",
		 (long long)fx->h26.system_id, (long long)other.system_id);
	assert_string_equal(got, want);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 1);
	assert_int_equal(inbox_count(fx, &other, NULL), 1);
	/* The copy has the transport log of the original. */
	json_t *t = trace_of(fx, id);
	json_t *copy = json_array_get(json_object_get(t, "recipients"), 2);
	assert_int_equal(json_array_size(json_object_get(copy, "transport")), 2);
	json_decref(t);
	/* Each acknowledges its own. */
	assert_int_equal(lt_exchange_ack(fx->x, FX_CTX(&other), id, "done", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h26, NULL), 1);
	assert_int_equal(inbox_count(fx, &other, NULL), 0);
	/* The waiting one goes to the system bound to H14 next. */
	struct lt_principal h14;
	make_system(fx, "000.00.00.H14", &h14);
	assert_int_equal(inbox_count(fx, &h14, NULL), 1);
	json_decref(reply);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_route_replay_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_ack_status_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_is_not_a_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_vietnamese_text_is_cut_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_is_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_only_from_the_parties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_counts_from_the_last_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_with_one_failing_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acks_share_a_commit_with_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_acks_and_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_after_rename_leaves_the_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_listed_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_code_each_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_relayed_per_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_recipient_refused_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_system_then_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_system_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_package_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_reads_traces_not_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_splits_deliveries, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
