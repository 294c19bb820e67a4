/* The exchange hub on a temporary registry and data directory: routing
 * through lineage, idempotent sends, refusals that store nothing, inboxes,
 * acknowledgements, status relay onto the trace, concurrent sends through
 * the group commit, and retention. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/exchange.h"

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
	"000.00.00.H99,Đơn vị giải thể,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n";

static void make_system(struct fx *fx, const char *code, struct lt_principal *p)
{
	unsigned char key[LT_SEAL_KEY_BYTES];
	struct lt_err err = {0};
	assert_int_equal(lt_seal_key_in(fx->data, true, key, &err), LT_OK);
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	char (*c)[LT_CODE_BUFSZ] = calloc(1, sizeof *c);
	snprintf(c[0], LT_CODE_BUFSZ, "%s", code);
	struct lt_system_created made;
	assert_int_equal(lt_system_register(lt_registry_store(fx->r), &admin, code, (const char(*)[LT_CODE_BUFSZ])c, 1,
					    key, &made, &err),
			 LT_OK);
	assert_int_equal(lt_token_authenticate(lt_registry_store(fx->r), made.token, p, &err), LT_OK);
	free(c);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/lt-xch-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	snprintf(fx->data, sizeof fx->data, "%s/data", fx->dir);
	struct lt_err err = {0};
	assert_int_equal(lt_registry_open(&fx->r, fx->db, &err), LT_OK);
	FILE *f = fmemopen((void *)units_csv, strlen(units_csv), "r");
	struct lt_import_report rep;
	assert_int_equal(lt_registry_import_csv(fx->r, f, &rep, &err), LT_OK);
	fclose(f);
	lt_import_report_free(&rep);
	/* Quảng Nam merges into Đà Nẵng; H99 is dissolved with no successor. */
	const char h47[][LT_CODE_BUFSZ] = {"000.00.00.H47"}, h99[][LT_CODE_BUFSZ] = {"000.00.00.H99"};
	struct lt_reorg m = {.kind = LT_REORG_MERGE, .decision = {"202/2025/QH15", "2025-06-12", "Quốc hội"},
			     .effective = "2025-07-01", .from = h47, .n_from = 1, .into_code = "000.00.00.H17"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE, .decision = {"1/QĐ", "2025-06-12", "Thủ tướng"},
			     .effective = "2025-07-01", .from = h99, .n_from = 1};
	struct lt_reorg_result res = {0};
	assert_int_equal(lt_registry_reorganize(fx->r, &m, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	memset(&res, 0, sizeof res);
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_OK);
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
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	assert_int_equal(system(cmd), 0);
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
		snprintf(tos + o, sizeof tos - o, "<edXML:To><edXML:OrganId>%.*s</edXML:OrganId></edXML:To>", (int)n, p);
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

static char *status(const char *from, const char *to, const char *docid, const char *code)
{
	char *x = NULL;
	int rc = asprintf(&x,
			  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><edXML xmlns=\"" NS "\" xmlns:edXML=\"" NS "\">"
			  "<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>"
			  "<edXML:From><edXML:OrganId>%s</edXML:OrganId></edXML:From>"
			  "<edXML:ResponseFor><edXML:OrganId>%s</edXML:OrganId><edXML:Code>1/UBND-VP</edXML:Code>"
			  "<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>"
			  "<edXML:DocumentId>%s</edXML:DocumentId></edXML:ResponseFor>"
			  "<edXML:StatusCode>%s</edXML:StatusCode><edXML:Description>ok</edXML:Description>"
			  "<edXML:Timestamp>2026/11/21 08:00:00</edXML:Timestamp>"
			  "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>",
			  from, to, docid, code);
	assert_true(rc > 0);
	return x;
}

/* Sends text in two pieces, as an upload arrives. */
static int send_pkg(struct fx *fx, const struct lt_principal *who, const char *text, json_t **reply, bool *replayed,
		    struct lt_err *err)
{
	struct lt_upload *u;
	int rc = lt_upload_begin(fx->x, who, &u, err);
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
	q = edoc("000.00.00.G22", "000.00.00.H26,000.00.00.H55", "9", "x");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.00.00.H55"));
	free(q);
	q = edoc("000.00.00.G22", "000.00.00.H99", "10", "x");
	assert_int_equal(send_pkg(fx, &fx->g22, q, &again, &replayed, &err), LT_ERULE);
	free(q);
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	struct lt_upload *u;
	assert_int_equal(lt_upload_begin(fx->x, &admin, &u, &err), LT_EFORBIDDEN);
	assert_int_equal(send_pkg(fx, &fx->g22, "<not xml", &again, &replayed, &err), LT_EINVAL);
	assert_int_equal(count_packages(fx), 1);
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
	assert_int_equal(lt_exchange_ack(fx->x, &fx->g22, id, "done", &out, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_exchange_ack(fx->x, &fx->h17, id, "finished", &out, &err), LT_EINVAL);
	assert_int_equal(lt_exchange_ack(fx->x, &fx->h17, id, "processing", &out, &err), LT_OK);
	json_decref(out);
	assert_int_equal(inbox_count(fx, &fx->h17, "edoc"), 1);
	assert_int_equal(lt_exchange_ack(fx->x, &fx->h17, id, "done", &out, &err), LT_OK);
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

	assert_int_equal(lt_exchange_stats(fx->x, "", "", "sender", &out, &err), LT_OK);
	json_t *row = json_array_get(json_object_get(out, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "key")), "000.00.00.G22");
	assert_int_equal(json_integer_value(json_object_get(row, "documents")), 1);
	json_decref(out);
	assert_int_equal(lt_exchange_stats(fx->x, "", "", "week", &out, &err), LT_EINVAL);

	/* Retention: nothing while a recipient has not acknowledged; once every
	 * delivery is done the bodies go and the trace stays. */
	size_t removed = 0;
	assert_int_equal(lt_exchange_expire(fx->x, "2099-01-01", &removed, &err), LT_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(lt_exchange_ack(fx->x, &fx->h26, id, "done", &out, &err), LT_OK);
	json_decref(out);
	struct lt_inbox_query iq = {"status", 0, 500};
	json_t *inbox = NULL;
	assert_int_equal(lt_exchange_inbox(fx->x, &fx->g22, &iq, &inbox, &err), LT_OK);
	size_t k;
	json_t *it;
	json_array_foreach(json_object_get(inbox, "items"), k, it)
	{
		assert_int_equal(lt_exchange_ack(fx->x, &fx->g22, json_string_value(json_object_get(it, "id")), "done",
						 &out, &err),
				 LT_OK);
		json_decref(out);
	}
	json_decref(inbox);
	assert_int_equal(lt_exchange_expire(fx->x, "2026-11-30", &removed, &err), LT_OK);
	assert_int_equal(removed, 0); /* inside the 30 days */
	assert_int_equal(lt_exchange_expire(fx->x, "2099-01-01", &removed, &err), LT_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_route_replay_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_ack_status_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sends, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
