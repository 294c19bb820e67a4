/* The converter on a mapping made by hand: which tokens are codes, and the
 * rewriting of CSV cells, JSON strings and XML text and attributes, with the
 * accounting of splits, codes without successor and unknown codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "lienthong/convert.h"

#define ROW(o, n, k, amb)                                                                                              \
	{                                                                                                              \
		o, n, (char *)"old", (char *)"new", k, "2025-07-01", "202/2025/QH15", amb                              \
	}

static struct lt_map_row rows[] = {
	ROW("000.00.00.H47", "000.00.00.H17", "merge", false), ROW("000.00.02.H47", "000.00.02.H17", "split", true),
	ROW("000.00.02.H47", "000.00.03.H17", "split", true),  ROW("000.00.09.H47", "", "dissolve", false),
	ROW("000.10.01.H47", "000.10.01.H17", "merge", false), ROW("001.00.10.H47", "001.00.10.H17", "merge", false),
};
static const struct lt_map MAP = {rows, sizeof rows / sizeof rows[0], 0, {"", "", 0}};

static int known(void *ctx, const char *code, bool *out)
{
	(void)ctx;
	static const char *active[] = {"000.00.00.H17", "000.00.02.H17", "000.00.03.H17", "000.00.00.G22",
				       "000.00.04.G14"};
	*out = false;
	for (size_t i = 0; i < sizeof active / sizeof active[0]; i++)
		*out |= strcmp(active[i], code) == 0;
	return LT_OK;
}

struct run {
	struct lt_convert *c;
	char *out;
	size_t len;
	int rc;
	struct lt_err err;
	struct lt_convert_counts n;
};

static void run_with(struct run *r, enum lt_convert_format fmt, const char *in, const char *const *choose, bool resign)
{
	memset(r, 0, sizeof *r);
	struct lt_convert_opts o = {.format = fmt, .resign_needed = resign, .known = known, .input_name = "t"};
	assert_int_equal(lt_convert_new(&r->c, &MAP, &o, &r->err), LT_OK);
	for (size_t i = 0; choose && choose[i]; i += 2)
		assert_int_equal(lt_convert_choose(r->c, choose[i], choose[i + 1], &r->err), LT_OK);
	FILE *fin = fmemopen((void *)in, strlen(in), "r");
	FILE *fout = open_memstream(&r->out, &r->len);
	r->rc = lt_convert_run(r->c, fin, fout, &r->err);
	fclose(fin);
	fclose(fout);
	lt_convert_counts(r->c, &r->n);
}

static void run_done(struct run *r)
{
	lt_convert_free(r->c);
	free(r->out);
}

/* The report, parsed. */
static json_t *report(struct run *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(lt_convert_report_write(r->c, f, &r->err), LT_OK);
	fclose(f);
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc)
		fail_msg("the report is not JSON (%s): %s", je.text, text);
	free(text);
	return doc;
}

struct found {
	char codes[8][LT_CODE_BUFSZ];
	size_t n;
};

static int collect(void *ctx, size_t off, size_t n, const char canon[LT_CODE_BUFSZ])
{
	(void)off;
	(void)n;
	struct found *f = ctx;
	snprintf(f->codes[f->n++], LT_CODE_BUFSZ, "%s", canon);
	return 0;
}

static size_t scan(const char *text, struct found *f)
{
	memset(f, 0, sizeof *f);
	lt_convert_scan(text, strlen(text), collect, f);
	return f->n;
}

static void test_scan_tokens(void **state)
{
	(void)state;
	struct found f;
	assert_int_equal(scan("gửi 000.00.00.H47, và 000.00.04.G14.", &f), 2);
	assert_string_equal(f.codes[0], "000.00.00.H47");
	assert_string_equal(f.codes[1], "000.00.04.G14");
	/* Codes inside longer tokens are not codes. */
	assert_int_equal(scan("1.011442.000.00.00.H47", &f), 0);
	assert_int_equal(scan("000.00.00.H470 X000.00.00.H47 000.00.00.H47x 000.00.00.H47.1 a_000.00.00.H47", &f), 0);
	assert_int_equal(scan("0000.00.00.H47 000.00.00.h47 000.00.00.W00 000.00.00.H00", &f), 0);
	/* Delimiters that are not part of a token. */
	assert_int_equal(scan("VN:GOV:000.00.00.G22:vpcp 000.00.00.G22,2015/09/30,7816/VPCP (000.00.02.H47)", &f), 3);
	/* Lenient forms: a three-digit level 3 read as its canonical form, a hole. */
	assert_int_equal(scan("000.010.01.H47 001.00.10.H47", &f), 2);
	assert_string_equal(f.codes[0], "000.10.01.H47");
	assert_string_equal(f.codes[1], "001.00.10.H47");
}

static void test_csv(void **state)
{
	(void)state;
	struct run r;
	const char *in = "id,ma,ghi_chu\r\n"
			 "1,000.00.00.H47,\"gửi 000.00.00.H47, 000.00.04.G14\"\r\n"
			 "2,1.011442.000.00.00.H47, 000.010.01.H47 \r\n"
			 "3,001.00.10.H47,\"dòng một\ndòng hai 000.00.02.H47\"\r\n"
			 "4,999.99.99.H99,000.00.09.H47\r\n";
	run_with(&r, LT_CONVERT_CSV, in, NULL, false);
	assert_int_equal(r.rc, LT_OK);
	assert_string_equal(r.out, "id,ma,ghi_chu\r\n"
				   "1,000.00.00.H17,\"gửi 000.00.00.H17, 000.00.04.G14\"\r\n"
				   "2,1.011442.000.00.00.H47, 000.10.01.H17 \r\n"
				   "3,001.00.10.H17,\"dòng một\ndòng hai 000.00.02.H47\"\r\n"
				   "4,999.99.99.H99,000.00.09.H47\r\n");
	assert_int_equal(r.n.occurrences, 6);
	assert_int_equal(r.n.converted, 4);
	assert_int_equal(r.n.unresolved, 2);
	assert_int_equal(r.n.unknown, 1);
	json_t *rep = report(&r);
	json_t *amb = json_object_get(rep, "ambiguous");
	assert_int_equal(json_array_size(amb), 2);
	json_t *split = json_array_get(amb, 0);
	assert_string_equal(json_string_value(json_object_get(split, "code")), "000.00.02.H47");
	assert_string_equal(json_string_value(json_object_get(split, "reason")), "split");
	assert_int_equal(json_integer_value(json_object_get(split, "line")), 4);
	assert_int_equal(json_integer_value(json_object_get(split, "column")), 3);
	assert_int_equal(json_array_size(json_object_get(split, "candidates")), 2);
	json_t *none = json_array_get(amb, 1);
	assert_string_equal(json_string_value(json_object_get(none, "reason")), "no_successor");
	assert_int_equal(json_integer_value(json_object_get(none, "line")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "unknown"), "999.99.99.H99")), 1);
	json_decref(rep);
	run_done(&r);

	/* --choose settles both. */
	const char *choose[] = {"000.00.02.H47", "000.00.03.H17", "000.00.09.H47", "000.00.00.H17", NULL};
	run_with(&r, LT_CONVERT_CSV, in, choose, false);
	assert_int_equal(r.rc, LT_OK);
	assert_int_equal(r.n.unresolved, 0);
	assert_non_null(strstr(r.out, "dòng hai 000.00.03.H17"));
	assert_non_null(strstr(r.out, "4,999.99.99.H99,000.00.00.H17"));
	run_done(&r);

	/* Quotes inside a cell are doubled again, around the rewritten code. */
	run_with(&r, LT_CONVERT_CSV, "a\n\"say \"\"000.00.00.H47\"\", \"\"x\"\"\"\n", NULL, false);
	assert_int_equal(r.rc, LT_OK);
	assert_string_equal(r.out, "a\n\"say \"\"000.00.00.H17\"\", \"\"x\"\"\"\n");
	run_done(&r);

	/* A broken file is refused. */
	run_with(&r, LT_CONVERT_CSV, "a,b\n1,\"open\n", NULL, false);
	assert_int_equal(r.rc, LT_EINVAL);
	run_done(&r);
}

static void test_choose_refusals(void **state)
{
	(void)state;
	struct lt_convert *c;
	struct lt_err err = {0};
	struct lt_convert_opts o = {.format = LT_CONVERT_CSV, .known = known};
	assert_int_equal(lt_convert_new(&c, &MAP, &o, &err), LT_OK);
	/* Not one of the split's successors. */
	assert_int_equal(lt_convert_choose(c, "000.00.02.H47", "000.00.00.H17", &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "not one of the current successors"));
	/* Not a closed code of the mapping. */
	assert_int_equal(lt_convert_choose(c, "000.00.00.G22", "000.00.00.H17", &err), LT_EINVAL);
	/* Not a code. */
	assert_int_equal(lt_convert_choose(c, "000.00.02.H47", "H17", &err), LT_EINVAL);
	/* A dissolved code takes an active unit only. */
	assert_int_equal(lt_convert_choose(c, "000.00.09.H47", "999.99.99.H99", &err), LT_EINVAL);
	assert_int_equal(lt_convert_choose(c, "000.00.09.H47", "000.00.00.G22", &err), LT_OK);
	lt_convert_free(c);
}

static void test_json(void **state)
{
	(void)state;
	struct run r;
	const char *in = "{\"units\":[{\"ma\":\"000.00.00.H47\",\"n\":1.50e3,\"ok\":true,\"x\":null},"
			 "{\"ma\":\"000.00.02.H47\"}],\"000.00.00.H47\":{\"a/b~\":\"x 000.00.02.H47\"}}\n"
			 "{\"k\":\"1.011442.000.00.00.H47\"}\n";
	run_with(&r, LT_CONVERT_JSON, in, NULL, false);
	assert_int_equal(r.rc, LT_OK);
	assert_string_equal(r.out, "{\"units\":[{\"ma\":\"000.00.00.H17\",\"n\":1.50e3,\"ok\":true,\"x\":null},"
				   "{\"ma\":\"000.00.02.H47\"}],\"000.00.00.H17\":{\"a/b~\":\"x 000.00.02.H47\"}}\n"
				   "{\"k\":\"1.011442.000.00.00.H47\"}\n");
	assert_int_equal(r.n.converted, 2);
	assert_int_equal(r.n.unresolved, 2);
	json_t *rep = report(&r);
	json_t *amb = json_object_get(rep, "ambiguous");
	assert_string_equal(json_string_value(json_object_get(json_array_get(amb, 0), "pointer")), "/units/1/ma");
	assert_string_equal(json_string_value(json_object_get(json_array_get(amb, 1), "pointer")),
			    "/000.00.00.H47/a~1b~0");
	json_decref(rep);
	run_done(&r);

	const char *choose[] = {"000.00.02.H47", "000.00.02.H17", NULL};
	run_with(&r, LT_CONVERT_JSON, in, choose, false);
	assert_int_equal(r.n.unresolved, 0);
	assert_non_null(strstr(r.out, "\"x 000.00.02.H17\""));
	run_done(&r);

	run_with(&r, LT_CONVERT_JSON, "{\"a\":[1,}", NULL, false);
	assert_int_equal(r.rc, LT_EINVAL);
	assert_non_null(strstr(r.err.msg, "JSON syntax error"));
	run_done(&r);
}

static void test_xml(void **state)
{
	(void)state;
	struct run r;
	const char *in = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<e:Envelope xmlns:e=\"urn:e\"><e:From OrganId=\"000.00.00.H47\">gửi 000.00.02.H47 &amp; "
			 "000.00.00.H47</e:From><e:To OrganId=\"000.00.02.H47\"/><e:To OrganId=\"000.00.02.H47\">"
			 "</e:To><e:Note><![CDATA[<b>000.00.00.H47</b>]]></e:Note><!-- 000.00.00.H47 --></e:Envelope>";
	run_with(&r, LT_CONVERT_XML, in, NULL, false);
	assert_int_equal(r.rc, LT_OK);
	assert_non_null(
		strstr(r.out, "<e:From OrganId=\"000.00.00.H17\">gửi 000.00.02.H47 &amp; 000.00.00.H17</e:From>"));
	assert_non_null(strstr(r.out, "<![CDATA[<b>000.00.00.H17</b>]]>"));
	assert_non_null(strstr(r.out, "<!-- 000.00.00.H47 -->")); /* comments are left alone */
	assert_int_equal(r.n.converted, 3);
	assert_int_equal(r.n.unresolved, 3);
	json_t *rep = report(&r);
	json_t *amb = json_object_get(rep, "ambiguous");
	assert_string_equal(json_string_value(json_object_get(json_array_get(amb, 0), "xpath")),
			    "/e:Envelope[1]/e:From[1]/text()");
	assert_string_equal(json_string_value(json_object_get(json_array_get(amb, 2), "xpath")),
			    "/e:Envelope[1]/e:To[2]/@OrganId");
	json_decref(rep);
	run_done(&r);

	run_with(&r, LT_CONVERT_XML, "<a><b></a>", NULL, false);
	assert_int_equal(r.rc, LT_EINVAL);
	run_done(&r);
}

static void test_xml_signed(void **state)
{
	(void)state;
	struct run r;
	const char *in =
		"<p><h OrganId=\"000.00.00.H47\"/><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
		"<ds:SignatureValue>abc</ds:SignatureValue></ds:Signature><t>000.00.00.H47</t></p>";
	run_with(&r, LT_CONVERT_XML, in, NULL, false);
	assert_int_equal(r.rc, LT_ERULE);
	assert_non_null(strstr(r.err.msg, "--resign-needed"));
	run_done(&r);
	run_with(&r, LT_CONVERT_XML, in, NULL, true);
	assert_int_equal(r.rc, LT_OK);
	assert_true(r.n.signature_removed);
	assert_null(strstr(r.out, "Signature"));
	assert_non_null(strstr(r.out, "<t>000.00.00.H17</t>"));
	run_done(&r);
}

static void test_sum(void **state)
{
	(void)state;
	struct lt_convert *c;
	struct lt_err err = {0};
	struct lt_convert_opts o = {.format = LT_CONVERT_CSV, .known = known};
	assert_int_equal(lt_convert_new(&c, &MAP, &o, &err), LT_OK);
	const char *in = "ma,ten,so_vb,ty_le\n"
			 "000.00.00.H47,Quảng Nam,10,0.5\n"
			 "000.00.00.G22,VPCP,1,\n"
			 "000.00.00.H17,Đà Nẵng,5,0.25\n"
			 "000.00.02.H47,Sở Y tế,3,1\n";
	const char *cols[] = {"so_vb", "ty_le"};
	char *out = NULL;
	size_t len = 0;
	FILE *fin = fmemopen((void *)in, strlen(in), "r"), *fout = open_memstream(&out, &len);
	assert_int_equal(lt_convert_run_sum(c, fin, fout, cols, 2, &err), LT_OK);
	fclose(fin);
	fclose(fout);
	assert_string_equal(out, "ma,ten,so_vb,ty_le\n"
				 "000.00.00.H17,Đà Nẵng,15,0.75\n"
				 "000.00.00.G22,VPCP,1,\n"
				 "000.00.02.H47,Sở Y tế,3,1\n");
	struct lt_convert_counts n;
	lt_convert_counts(c, &n);
	assert_int_equal(n.rows_in, 4);
	assert_int_equal(n.rows_out, 3);
	assert_int_equal(n.unresolved, 1);
	free(out);

	/* A column the header lacks, and a value that is no number. */
	const char *bad[] = {"missing"};
	fin = fmemopen((void *)in, strlen(in), "r");
	fout = open_memstream(&out, &len);
	assert_int_equal(lt_convert_run_sum(c, fin, fout, bad, 1, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "missing"));
	fclose(fin);
	fclose(fout);
	free(out);
	const char *words = "ma,so_vb\n000.00.00.H47,mười\n";
	fin = fmemopen((void *)words, strlen(words), "r");
	fout = open_memstream(&out, &len);
	assert_int_equal(lt_convert_run_sum(c, fin, fout, cols, 1, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "not a number"));
	fclose(fin);
	fclose(fout);
	free(out);
	lt_convert_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_tokens), cmocka_unit_test(test_csv), cmocka_unit_test(test_choose_refusals),
		cmocka_unit_test(test_json),        cmocka_unit_test(test_xml), cmocka_unit_test(test_xml_signed),
		cmocka_unit_test(test_sum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
