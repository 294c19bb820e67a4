/* Unit tests for the edXML module (formats.md §2): every sample package in
 * tests/data/edxml parses to the fields its .expect file lists, or is refused
 * with the element path it names; the parser is safe against entities and
 * oversize input; writer and reader round-trip; attachments decode to the
 * original bytes in bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlmemory.h>
#include <openssl/evp.h>

#include "edxml/edxml_impl.h"
#include "lienthong/edxml.h"

#define NS LT_EDXML_NS

/* ---- libxml2 memory accounting ------------------------------------------ */

/* Every libxml2 allocation goes through these, so a test can see the peak of
 * what the parser held while a large package streamed past. */
static size_t xml_live, xml_peak;

struct xml_hdr {
	size_t n;
	max_align_t pad;
};

static void *xml_malloc(size_t n)
{
	struct xml_hdr *h = malloc(sizeof *h + n);
	if (!h)
		return NULL;
	h->n = n;
	xml_live += n;
	if (xml_live > xml_peak)
		xml_peak = xml_live;
	return h + 1;
}

static void xml_free(void *p)
{
	if (!p)
		return;
	struct xml_hdr *h = (struct xml_hdr *)p - 1;
	xml_live -= h->n;
	free(h);
}

static void *xml_realloc(void *p, size_t n)
{
	if (!p)
		return xml_malloc(n);
	struct xml_hdr *h = (struct xml_hdr *)p - 1;
	size_t old = h->n;
	struct xml_hdr *q = realloc(h, sizeof *q + n);
	if (!q)
		return NULL;
	q->n = n;
	xml_live = xml_live - old + n;
	if (xml_live > xml_peak)
		xml_peak = xml_live;
	return q + 1;
}

static char *xml_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xml_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- helpers --------------------------------------------------------------- */

static const char *data_dir(void)
{
	static char dir[4096];
	const char *src = getenv("LT_SOURCE_DIR");
	snprintf(dir, sizeof dir, "%s/tests/data/edxml", src ? src : ".");
	return dir;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void make_tmpdir(char out[64])
{
	snprintf(out, 64, "/tmp/lt-edxml-XXXXXX");
	if (!mkdtemp(out))
		fail_msg("mkdtemp: %s", strerror(errno));
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static const char *str(const char *s) { return s ? s : "(null)"; }

/* Every field of a package as `key value` lines, the form of the .expect
 * files. Paths and the package hash are left out: they depend on where and
 * how the package was read. */
static char *flatten(const struct lt_edxml_package *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	char hex[65];
	fprintf(f, "kind %s\n", p->kind == LT_EDXML_STATUS ? "status" : "edoc");
	const struct lt_edxml_organ *orgs[64];
	char names[64][16];
	size_t norg = 0;
	orgs[norg] = &p->from;
	snprintf(names[norg++], 16, "from");
	for (size_t i = 0; i < p->n_to && norg < 64; i++) {
		orgs[norg] = &p->to[i];
		snprintf(names[norg++], 16, "to[%zu]", i);
	}
	fprintf(f, "to.count %zu\n", p->n_to);
	for (size_t i = 0; i < norg; i++) {
		const struct lt_edxml_organ *o = orgs[i];
		fprintf(f, "%s.organ_id %s\n", names[i], o->organ_id.text);
		fprintf(f, "%s.organization_in_charge %s\n", names[i], str(o->organization_in_charge));
		fprintf(f, "%s.organ_name %s\n", names[i], str(o->organ_name));
		fprintf(f, "%s.organ_add %s\n", names[i], str(o->organ_add));
		fprintf(f, "%s.email %s\n", names[i], str(o->email));
		fprintf(f, "%s.telephone %s\n", names[i], str(o->telephone));
		fprintf(f, "%s.fax %s\n", names[i], str(o->fax));
		fprintf(f, "%s.website %s\n", names[i], str(o->website));
	}
	fprintf(f, "document_id %s\n", p->document_id.text);
	fprintf(f, "document_id.organ_id %s\n", p->document_id.organ_id.text);
	fprintf(f, "document_id.date %s\n", p->document_id.date);
	fprintf(f, "document_id.code %s\n", p->document_id.code);
	fprintf(f, "code.number %s\ncode.notation %s\n", str(p->code.number), str(p->code.notation));
	fprintf(f, "promulgation.place %s\npromulgation.date %s\n", str(p->promulgation.place), p->promulgation.date);
	fprintf(f, "document_type.type %d\ndocument_type.type_detail %d\ndocument_type.type_name %s\n",
		p->document_type.type, p->document_type.type_detail, str(p->document_type.type_name));
	fprintf(f, "subject %s\ncontent %s\n", str(p->subject), str(p->content));
	fprintf(f, "signer.competence %s\nsigner.position %s\nsigner.full_name %s\n", str(p->signer.competence),
		str(p->signer.position), str(p->signer.full_name));
	fprintf(f, "due_date %s\n", p->due_date);
	fprintf(f, "to_places.count %zu\n", p->n_to_places);
	for (size_t i = 0; i < p->n_to_places; i++)
		fprintf(f, "to_places[%zu] %s\n", i, p->to_places[i]);
	fprintf(f, "other.priority %d\nother.sphere_of_promulgation %s\nother.typer_notation %s\n", p->other.priority,
		str(p->other.sphere_of_promulgation), str(p->other.typer_notation));
	fprintf(f, "other.promulgation_amount %d\nother.page_amount %d\nother.direction %d\n",
		p->other.promulgation_amount, p->other.page_amount, p->other.direction);
	fprintf(f, "other.appendixes.count %zu\n", p->other.n_appendixes);
	for (size_t i = 0; i < p->other.n_appendixes; i++)
		fprintf(f, "other.appendixes[%zu] %s\n", i, p->other.appendixes[i]);
	fprintf(f, "response_for.count %zu\n", p->n_response_for);
	for (size_t i = 0; i < p->n_response_for; i++) {
		const struct lt_edxml_response_for *r = &p->response_for[i];
		fprintf(f, "response_for[%zu].organ_id %s\n", i, r->organ_id.text);
		fprintf(f, "response_for[%zu].code %s\n", i, str(r->code));
		fprintf(f, "response_for[%zu].promulgation_date %s\n", i, r->promulgation_date);
		fprintf(f, "response_for[%zu].document_id %s\n", i, r->document_id.text);
	}
	fprintf(f, "steering_type %d\n", p->steering_type);
	fprintf(f, "traces.count %zu\n", p->n_traces);
	for (size_t i = 0; i < p->n_traces; i++)
		fprintf(f, "traces[%zu].organ_id %s\ntraces[%zu].timestamp %s\n", i, p->traces[i].organ_id.text, i,
			p->traces[i].timestamp);
	const struct lt_edxml_business *b = &p->business;
	fprintf(f, "business.present %d\n", b->present);
	fprintf(f, "business.document_id %s\n", b->document_id.text);
	fprintf(f, "business.document_id.organ_id %s\n", b->document_id.organ_id.text);
	fprintf(f, "business.document_id.date %s\n", b->document_id.date);
	fprintf(f, "business.doc_type %d\nbusiness.doc_reason %s\nbusiness.paper %d\n", b->doc_type, str(b->doc_reason),
		b->paper);
	fprintf(f, "business.document_info %d\nbusiness.document_receiver %d\n", b->document_info,
		b->document_receiver);
	fprintf(f, "business.receivers.count %zu\n", b->n_receivers);
	for (size_t i = 0; i < b->n_receivers; i++)
		fprintf(f, "business.receivers[%zu].organ_id %s\nbusiness.receivers[%zu].receiver_type %d\n", i,
			b->receivers[i].organ_id.text, i, b->receivers[i].receiver_type);
	fprintf(f, "business.replacements.count %zu\n", b->n_replacements);
	for (size_t i = 0; i < b->n_replacements; i++) {
		fprintf(f, "business.replacements[%zu].document_id %s\n", i, b->replacements[i].document_id.text);
		fprintf(f, "business.replacements[%zu].organ_ids ", i);
		for (size_t k = 0; k < b->replacements[i].n_organ_ids; k++)
			fprintf(f, "%s%s", k ? "," : "", b->replacements[i].organ_ids[k].text);
		fputc('\n', f);
	}
	fprintf(f, "business.staff.department %s\nbusiness.staff.staff %s\n", str(b->staff.department),
		str(b->staff.staff));
	fprintf(f, "business.staff.email %s\nbusiness.staff.mobile %s\n", str(b->staff.email), str(b->staff.mobile));
	fprintf(f, "status_code %s\ndescription %s\ntimestamp %s\n", p->status_code, str(p->description), p->timestamp);
	fprintf(f, "staff.department %s\nstaff.staff %s\nstaff.email %s\nstaff.mobile %s\n", str(p->staff.department),
		str(p->staff.staff), str(p->staff.email), str(p->staff.mobile));
	fprintf(f, "attachments.count %zu\n", p->n_attachments);
	for (size_t i = 0; i < p->n_attachments; i++) {
		const struct lt_edxml_attachment *a = &p->attachments[i];
		fprintf(f, "attachments[%zu].content_id %s\n", i, str(a->content_id));
		fprintf(f, "attachments[%zu].name %s\n", i, str(a->name));
		fprintf(f, "attachments[%zu].content_type %s\n", i, str(a->content_type));
		fprintf(f, "attachments[%zu].description %s\n", i, str(a->description));
		fprintf(f, "attachments[%zu].encoded_size %llu\n", i, (unsigned long long)a->encoded_size);
		fprintf(f, "attachments[%zu].size %llu\n", i, (unsigned long long)a->size);
		fprintf(f, "attachments[%zu].sha256 %s\n", i, lt_edxml_hash_hex(a->sha256, hex));
		fprintf(f, "attachments[%zu].seq %zu\n", i, a->seq);
		fprintf(f, "attachments[%zu].listed %d\n", i, a->listed);
		fprintf(f, "attachments[%zu].zipped %d\n", i, a->zipped);
	}
	fclose(f);
	return buf;
}

/* The value of key in flattened text, or NULL. */
static const char *lookup(const char *flat, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	for (const char *line = flat; *line;) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		if (ll > kl && strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			snprintf(out, size, "%.*s", (int)(ll - kl - 1), line + kl + 1);
			return out;
		}
		line += ll + (nl ? 1 : 0);
	}
	return NULL;
}

static const char *status_word(int rc)
{
	switch (rc) {
	case LT_OK:
		return "OK";
	case LT_EINVAL:
		return "EINVAL";
	case LT_ETOOBIG:
		return "ETOOBIG";
	case LT_ENOTFOUND:
		return "ENOTFOUND";
	case LT_EIO:
		return "EIO";
	case LT_ENOMEM:
		return "ENOMEM";
	default:
		return "other";
	}
}

/* Feeds a whole buffer through the push reader in pieces of `step` bytes. */
static int read_in_pieces(const char *buf, size_t len, size_t step, const struct lt_edxml_read_opts *opts,
			  struct lt_edxml_package **out, struct lt_err *err)
{
	struct lt_edxml_reader *r;
	int rc = lt_edxml_reader_new(&r, opts, err);
	if (rc != LT_OK)
		return rc;
	for (size_t off = 0; off < len && rc == LT_OK; off += step)
		rc = lt_edxml_reader_feed(r, buf + off, len - off < step ? len - off : step, err);
	if (rc == LT_OK)
		rc = lt_edxml_reader_finish(r, out, err);
	lt_edxml_reader_free(r);
	return rc;
}

/* ---- the samples, data-driven ------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void check_sample(const char *name)
{
	char path[4096], expect_path[4096];
	snprintf(path, sizeof path, "%s/%s", data_dir(), name);
	snprintf(expect_path, sizeof expect_path, "%.*s.expect", (int)(strlen(path) - 6), path);
	size_t elen, blen;
	char *expect = slurp(expect_path, &elen);
	char *bytes = slurp(path, &blen);

	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	struct lt_edxml_read_opts opts = {0};
	int rc = lt_edxml_read_file(path, &opts, &p, &err);

	char want_status[32] = "OK";
	char value[1024];
	lookup(expect, "status", want_status, sizeof want_status);
	if (strcmp(status_word(rc), want_status) != 0)
		fail_msg("%s: status %s, want %s (%s)", name, status_word(rc), want_status, err.msg);

	char *flat = p ? flatten(p) : NULL;
	for (char *line = expect; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(line, ' ');
		if (line[0] && line[0] != '#' && sp) {
			*sp = '\0';
			const char *key = line, *want = sp + 1;
			if (strcmp(key, "message") == 0) {
				if (!strstr(err.msg, want))
					fail_msg("%s: message\n  '%s'\nlacks\n  '%s'", name, err.msg, want);
			} else if (strcmp(key, "status") != 0) {
				if (!flat)
					fail_msg("%s: refused (%s), yet fields are expected", name, err.msg);
				if (!lookup(flat, key, value, sizeof value))
					fail_msg("%s: no field %s", name, key);
				if (strcmp(value, want) != 0)
					fail_msg("%s: %s is '%s', want '%s'", name, key, value, want);
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}

	/* The push reader must not care how the bytes are cut up. */
	static const size_t steps[] = {1, 3, 4096};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		struct lt_edxml_package *q = NULL;
		struct lt_err qerr = {0};
		int qrc = read_in_pieces(bytes, blen, steps[s], &opts, &q, &qerr);
		if (qrc != rc)
			fail_msg("%s: in pieces of %zu: %s (%s), whole: %s", name, steps[s], status_word(qrc), qerr.msg,
				 status_word(rc));
		if (rc != LT_OK) {
			/* Only the line number may differ when the cut falls inside a token. */
			if (strncmp(qerr.msg, err.msg, 20) != 0)
				fail_msg("%s: in pieces of %zu: '%s' vs '%s'", name, steps[s], qerr.msg, err.msg);
		} else {
			char *qflat = flatten(q);
			if (strcmp(qflat, flat) != 0)
				fail_msg("%s: in pieces of %zu the package differs", name, steps[s]);
			free(qflat);
			assert_memory_equal(q->sha256, p->sha256, LT_EDXML_SHA256_LEN);
		}
		lt_edxml_package_free(q);
	}

	if (p) {
		unsigned char sha[LT_EDXML_SHA256_LEN];
		uint64_t size = 0;
		assert_int_equal(lt_edxml_hash_file(path, sha, &size, NULL), LT_OK);
		assert_memory_equal(sha, p->sha256, sizeof sha);
		assert_int_equal(size, p->size);
		assert_int_equal(size, blen);
	}
	free(flat);
	lt_edxml_package_free(p);
	free(bytes);
	free(expect);
}

static void test_samples(void **state)
{
	(void)state;
	DIR *d = opendir(data_dir());
	if (!d)
		fail_msg("cannot open %s: set LT_SOURCE_DIR", data_dir());
	char *names[256];
	size_t n = 0, good = 0, bad = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256) {
		size_t l = strlen(e->d_name);
		if (l > 6 && strcmp(e->d_name + l - 6, ".edxml") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	for (size_t i = 0; i < n; i++) {
		check_sample(names[i]);
		if (strncmp(names[i], "bad-", 4) == 0)
			bad++;
		else
			good++;
		free(names[i]);
	}
	assert_true(good >= 10);
	assert_true(bad >= 30);
}

/* ---- entities and DTDs ------------------------------------------------------------ */

static void test_external_entity_is_not_read(void **state)
{
	(void)state;
	char dir[64], secret[128];
	make_tmpdir(dir);
	snprintf(secret, sizeof secret, "%s/secret.txt", dir);
	write_file(secret, "TOP-SECRET-42\n", 14);
	const char *forms[] = {
		"<!DOCTYPE edXML [<!ENTITY xxe SYSTEM \"file://%s\">]>\n",
		"<!DOCTYPE edXML SYSTEM \"file://%s\">\n",
		"<!DOCTYPE edXML [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>\n",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char doctype[512], doc[2048];
		snprintf(doctype, sizeof doctype, forms[i], secret);
		snprintf(doc, sizeof doc,
			 "<?xml version=\"1.0\"?>\n%s<edXML xmlns=\"" NS "\"><edXML:edXMLEnvelope xmlns:edXML=\"" NS
			 "\"><edXML:edXMLHeader><edXML:MessageHeader><edXML:Subject>&xxe;</edXML:Subject>"
			 "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>\n",
			 doctype);
		struct lt_edxml_package *p = NULL;
		struct lt_err err = {0};
		int rc = lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err);
		assert_int_equal(rc, LT_EINVAL);
		assert_null(p);
		assert_non_null(strstr(err.msg, "DOCTYPE"));
		assert_null(strstr(err.msg, "TOP-SECRET"));
	}
	rm_rf(dir);
}

static void test_billion_laughs_is_refused_quickly(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/bad-billion-laughs.edxml", data_dir());
	xml_peak = xml_live;
	clock_t t0 = clock();
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_read_file(path, NULL, &p, &err), LT_EINVAL);
	assert_null(p);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	assert_true(xml_peak - xml_live < 1024 * 1024);
}

/* ---- caps ------------------------------------------------------------------------------ */

static void test_oversize_input(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/edoc-update.edxml", data_dir());
	size_t len;
	char *bytes = slurp(path, &len);
	struct lt_edxml_read_opts opts = {.limits.max_bytes = 1000};
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};

	/* A regular file is refused from its size, before any byte is read. */
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "the limit is 1000"));
	/* A stream is refused as soon as it passes the cap. */
	assert_int_equal(lt_edxml_read_mem(bytes, len, &opts, &p, &err), LT_ETOOBIG);
	assert_int_equal(read_in_pieces(bytes, len, 100, &opts, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "larger than 1000 bytes"));
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], bytes, 4000), 4000);
	close(fds[1]);
	assert_int_equal(lt_edxml_read_fd(fds[0], &opts, &p, &err), LT_ETOOBIG);
	close(fds[0]);
	/* Exactly at the cap is fine. */
	opts.limits.max_bytes = len;
	assert_int_equal(lt_edxml_read_mem(bytes, len, &opts, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(bytes);
}

static char *minimal_with(const char *subject, const char *extra)
{
	const char *fmt = "<?xml version=\"1.0\"?>\n<edXML xmlns=\"" NS "\"><edXML:edXMLEnvelope xmlns:edXML=\"" NS
			  "\"><edXML:edXMLHeader><edXML:MessageHeader>"
			  "<edXML:From><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:From>"
			  "<edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>%s"
			  "<edXML:DocumentId>000.00.00.H14,2024/02/29,42/UBND-TH</edXML:DocumentId>"
			  "<edXML:Subject>%s</edXML:Subject></edXML:MessageHeader></edXML:edXMLHeader>"
			  "</edXML:edXMLEnvelope></edXML>\n";
	size_t n = strlen(fmt) + strlen(subject) + strlen(extra) + 1;
	char *doc = malloc(n);
	assert_non_null(doc);
	snprintf(doc, n, fmt, extra, subject);
	return doc;
}

/* A package with `in_msg` inside MessageHeader, `in_hdr` after it (the
 * header's last children) and `after` after the envelope. */
static bool signed_per_reader(const char *subject, const char *in_msg, const char *in_hdr, const char *after)
{
	const char *fmt =
		"<?xml version=\"1.0\"?>\n<edXML xmlns=\"" NS "\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
		"<edXML:edXMLEnvelope xmlns:edXML=\"" NS "\"><edXML:edXMLHeader><edXML:MessageHeader>"
		"<edXML:From><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:From>"
		"<edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>%s"
		"<edXML:DocumentId>000.00.00.H14,2024/02/29,42/UBND-TH</edXML:DocumentId>"
		"<edXML:Subject>%s</edXML:Subject></edXML:MessageHeader>%s</edXML:edXMLHeader>"
		"</edXML:edXMLEnvelope>%s</edXML>\n";
	char doc[4096];
	snprintf(doc, sizeof doc, fmt, in_msg, subject, in_hdr, after);
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	if (lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err) != LT_OK)
		fail_msg("%s: %s", doc, err.msg);
	bool yes = p->signature;
	lt_edxml_package_free(p);
	return yes;
}

/* Signed means a signature element among edXMLHeader's children, in the
 * forms producers use; the word anywhere else (a subject, an attribute,
 * an element elsewhere or in another namespace) signs nothing. */
static void test_signature_seen_by_reader(void **state)
{
	(void)state;
	assert_true(signed_per_reader("x", "", "<ds:Signature><ds:SignedInfo/></ds:Signature>", ""));
	assert_true(signed_per_reader("x", "", "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/>", ""));
	assert_true(signed_per_reader("x", "", "<Signature><SignedInfo/></Signature>", ""));
	assert_true(signed_per_reader("x", "", "<edXML:Signature/>", ""));
	assert_true(signed_per_reader("x", "", "<DigitalSignature/>", ""));
	assert_false(signed_per_reader("x", "", "", ""));
	assert_false(signed_per_reader("Signature &lt;Signature&gt; ds:Signature", "", "", ""));
	assert_false(
		signed_per_reader("<![CDATA[<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/>]]>", "", "", ""));
	assert_false(signed_per_reader("x", "", "<!-- <Signature/> --><?Signature Signature?>", ""));
	assert_false(signed_per_reader("x", "", "<Other Signature=\"Signature\"><Signature/></Other>", ""));
	assert_false(signed_per_reader("x", "<ds:Signature/>", "", ""));
	assert_false(signed_per_reader("x", "", "", "<ds:Signature/>"));
	assert_false(signed_per_reader("x", "", "<x:Signature xmlns:x=\"urn:other\"/>", ""));
	assert_false(signed_per_reader("x", "", "<ds:DigitalSignature/>", ""));
	assert_false(signed_per_reader("x", "", "<SignatureX/>", ""));
	/* The samples: VNPT's un-namespaced Signature, another producer's
	 * empty DigitalSignature. */
	static const char *const samples[] = {"edoc-vnpt-new.edxml", "edoc-other-producer.edxml"};
	for (size_t i = 0; i < 2; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", data_dir(), samples[i]);
		struct lt_edxml_package *p = NULL;
		struct lt_err err = {0};
		assert_int_equal(lt_edxml_read_file(path, NULL, &p, &err), LT_OK);
		if (!p->signature)
			fail_msg("%s: its signature is not seen", samples[i]);
		lt_edxml_package_free(p);
	}
}

/* The reader counts what a tree of the package would hold. */
static void test_tree_counts(void **state)
{
	(void)state;
	char *plain = minimal_with("x", "");
	size_t n = 20000;
	char *extra = malloc(n * 9 + 32);
	assert_non_null(extra);
	strcpy(extra, "<Extra>");
	char *w = extra + 7;
	for (size_t i = 0; i < n; i++, w += 9)
		memcpy(w, "<a b=\"\"/>", 9);
	strcpy(w, "</Extra>");
	char *dense = minimal_with("x", extra);
	struct lt_edxml_package *p = NULL, *q = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_read_mem(plain, strlen(plain), NULL, &p, &err), LT_OK);
	assert_int_equal(lt_edxml_read_mem(dense, strlen(dense), NULL, &q, &err), LT_OK);
	/* edXML, envelope, header, message header, From, OrganId, To, OrganId,
	 * DocumentId, Subject: 10 elements, 4 texts; xmlns and xmlns:edXML. */
	assert_int_equal(p->xml_nodes, 14);
	assert_int_equal(p->xml_attributes, 2);
	assert_int_equal(q->xml_nodes, p->xml_nodes + n + 1);
	assert_int_equal(q->xml_attributes, p->xml_attributes + n);
	lt_edxml_package_free(p);
	lt_edxml_package_free(q);
	free(plain);
	free(dense);
	free(extra);
}

/* Element names are matched whole: names that are prefixes or extensions
 * of the header's (Subj, SubjectX) are unknown elements, skipped, and do not
 * count as a repeat; the real one still is. Names longer than the path keeps
 * (47 bytes) are cut there in an error's path, and shorter ones kept whole. */
static void test_element_names_prefixes_and_long(void **state)
{
	(void)state;
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	char *doc = minimal_with("Real subject", "<edXML:Subj>a</edXML:Subj><edXML:SubjectX>b</edXML:SubjectX>"
						 "<edXML:Su/><edXML:Subjec>c</edXML:Subjec>");
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	assert_string_equal(p->subject, "Real subject");
	lt_edxml_package_free(p);
	free(doc);
	doc = minimal_with("Real subject", "<edXML:SubjectX>b</edXML:SubjectX><edXML:Subject>again</edXML:Subject>");
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "MessageHeader/Subject: Subject appears more than once"));
	free(doc);

	char n60[61], n47[48], n48[49], nest[400];
	memset(n60, 'a', 60), n60[60] = '\0';
	memset(n47, 'b', 47), n47[47] = '\0';
	memset(n48, 'c', 48), n48[48] = '\0';
	snprintf(nest, sizeof nest, "<edXML:%s><edXML:%s><edXML:%s><edXML:X/></edXML:%s></edXML:%s></edXML:%s>", n60,
		 n47, n48, n48, n47, n60);
	doc = minimal_with("s", nest);
	struct lt_edxml_read_opts shallow = {.limits.max_depth = 7};
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), &shallow, &p, &err), LT_ETOOBIG);
	char want[300];
	snprintf(want, sizeof want,
		 "edXMLEnvelope/edXMLHeader/MessageHeader/%.47s/%s/%.47s: elements nest deeper than 7", n60, n47, n48);
	if (!strstr(err.msg, want))
		fail_msg("'%s', want '%s'", err.msg, want);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(doc);
}

static void test_text_depth_and_meta_caps(void **state)
{
	(void)state;
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};

	char *big = malloc(100 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'x', 100 * 1024);
	big[100 * 1024] = '\0';
	char *doc = minimal_with(big, "");
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(
		strstr(err.msg, "edXMLEnvelope/edXMLHeader/MessageHeader/Subject: the text is longer than 65536"));
	struct lt_edxml_read_opts roomy = {.limits.max_text = 200 * 1024};
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), &roomy, &p, &err), LT_OK);
	assert_int_equal(strlen(p->subject), 100 * 1024);
	lt_edxml_package_free(p);
	free(doc);

	/* Text in an unknown element is skipped, never kept. */
	char *unknown = malloc(100 * 1024 + 64);
	assert_non_null(unknown);
	snprintf(unknown, 100 * 1024 + 64, "<Vendor>%s</Vendor>", big);
	doc = minimal_with("ok", unknown);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(doc);
	free(unknown);
	free(big);

	char nest[100 * 8 + 1] = "";
	for (int i = 0; i < 100; i++)
		strcat(nest, "<a>");
	char tail[100 * 8 + 1] = "";
	for (int i = 0; i < 100; i++)
		strcat(tail, "</a>");
	char both[2000];
	snprintf(both, sizeof both, "%s%s", nest, tail);
	doc = minimal_with("ok", both);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "deeper than 32 levels"));
	free(doc);

	size_t n = 4000;
	const char *one = "<edXML:To><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:OrganName>UBND Tỉnh Nghệ An"
			  "</edXML:OrganName></edXML:To>";
	char *many = malloc(n * strlen(one) + 1);
	assert_non_null(many);
	many[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(many, one);
	doc = minimal_with("ok", many);
	struct lt_edxml_read_opts tight = {.limits.max_meta = 64 * 1024};
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), &tight, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "header data exceed 65536 bytes"));
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	assert_int_equal(p->n_to, n + 1);
	lt_edxml_package_free(p);
	free(doc);
	free(many);
}

/* Markup libxml2 2.9 would hold whole or check in quadratic time is refused
 * before the parser sees it, quickly and in little memory. */
static void test_markup_guard(void **state)
{
	(void)state;
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	const size_t n = 200 * 1000;
	char *attrs = malloc(n * 12 + 64);
	assert_non_null(attrs);
	strcpy(attrs, "<Vendor");
	size_t o = strlen(attrs);
	for (size_t i = 0; i < n / 10; i++)
		o += (size_t)sprintf(attrs + o, " a%zu=\"\"", i);
	strcpy(attrs + o, "/>");
	char *doc = minimal_with("ok", attrs);
	clock_t t0 = clock();
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	assert_non_null(strstr(err.msg, "a tag has more than 128 attributes"));
	free(doc);

	/* 128 attributes are fine, and '>' or '=' inside a value count for nothing. */
	strcpy(attrs, "<Vendor");
	o = strlen(attrs);
	for (size_t i = 0; i < 128; i++)
		o += (size_t)sprintf(attrs + o, " a%zu='x=y>z'", i);
	strcpy(attrs + o, "/>");
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(doc);

	memset(attrs, 'x', n);
	memcpy(attrs, "<!--", 4);
	strcpy(attrs + n, "-->");
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "a comment is longer than 65536 bytes"));
	free(doc);

	memcpy(attrs, "<?pi ", 5);
	strcpy(attrs + n, "?>");
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "a processing instruction is longer than 65536 bytes"));
	free(doc);

	memcpy(attrs, "<Vendor a=\"", 11);
	strcpy(attrs + n, "\"/>");
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "a tag is longer than 65536 bytes"));
	free(doc);

	/* CDATA is character data: long is fine, as for any text. */
	memcpy(attrs, "<Vendor><![CDATA[", 17);
	strcpy(attrs + n, "]]></Vendor>");
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(doc);

	/* Invented names fill libxml2's dictionary, which is kept small. */
	o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(attrs + o, "<n%zu/>", i);
	doc = minimal_with("ok", attrs);
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_ETOOBIG);
	assert_non_null(strstr(err.msg, "too many distinct element and attribute names"));
	free(doc);
	free(attrs);
}

/* The guard's tag and quoted-value states, in any pieces: a long element
 * name or attribute value is refused at the cap with the line it reached
 * (newlines inside tags and values counted); quotes of the other kind, '='
 * and '>' inside a value are its text; the 128th attribute is fine wherever
 * the pieces cut, the 129th is not. */
static void test_markup_guard_in_pieces(void **state)
{
	(void)state;
	const size_t n = 70000;
	char *body = malloc(n + 256);
	assert_non_null(body);
	static const size_t steps[] = {1, 7, 4093, 1 << 20};
	struct {
		const char *head, *tail;
		int rc;
		const char *msg;
	} cases[] = {
		{"<edXML:", "/>", LT_ETOOBIG, "line 2: a tag is longer than 65536 bytes"},
		{"<Vendor\n\r\n a=\"x\"\n b=\"", "\"/>", LT_ETOOBIG, "line 5: a tag is longer than 65536 bytes"},
		{"<Vendor a='\n\n", "'/>", LT_ETOOBIG, "line 4: a tag is longer than 65536 bytes"},
		{"<Vendor a=\"it's > = \" b='say \"x\"'\n c", "=''/>", LT_ETOOBIG, "line 3: a tag is longer than"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t hl = strlen(cases[c].head);
		memcpy(body, cases[c].head, hl);
		memset(body + hl, 'q', n);
		strcpy(body + hl + n, cases[c].tail);
		char *doc = minimal_with("ok", body);
		for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
			struct lt_edxml_package *p = NULL;
			struct lt_err err = {0};
			assert_int_equal(read_in_pieces(doc, strlen(doc), steps[st], NULL, &p, &err), cases[c].rc);
			if (!strstr(err.msg, cases[c].msg))
				fail_msg("case %zu, pieces of %zu: '%s', want '%s'", c, steps[st], err.msg,
					 cases[c].msg);
		}
		free(doc);
	}
	for (int extra = 0; extra < 2; extra++) {
		size_t o = (size_t)sprintf(body, "<Vendor a0=\"it's > = \"\n b0='say \"x\"'");
		for (int i = 2; i < 128 + extra; i++)
			o += (size_t)sprintf(body + o, i % 3 ? " a%d='%d'" : "\n a%d=\"=>%d\"", i, i);
		strcpy(body + o, "/>");
		char *doc = minimal_with("ok", body);
		for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
			struct lt_edxml_package *p = NULL;
			struct lt_err err = {0};
			int rc = read_in_pieces(doc, strlen(doc), steps[st], NULL, &p, &err);
			if (extra) {
				assert_int_equal(rc, LT_ETOOBIG);
				assert_non_null(strstr(err.msg, "a tag has more than 128 attributes"));
			} else if (rc != LT_OK) {
				fail_msg("pieces of %zu: %s", steps[st], err.msg);
			}
			lt_edxml_package_free(p);
		}
		free(doc);
	}
	free(body);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/edoc-other-producer.edxml", data_dir());
	size_t len;
	char *bytes = slurp(path, &len);
	size_t end = len;
	while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == ' '))
		end--;
	for (size_t cut = 0; cut < end; cut += cut < 600 ? 1 : 7) {
		struct lt_edxml_package *p = NULL;
		struct lt_err err = {0};
		int rc = lt_edxml_read_mem(bytes, cut, NULL, &p, &err);
		if (rc != LT_EINVAL)
			fail_msg("a package cut at %zu of %zu: %s (%s)", cut, len, status_word(rc), err.msg);
		assert_null(p);
		assert_true(err.msg[0] != '\0');
	}
	free(bytes);
}

/* ---- attachments ------------------------------------------------------------------------------ */

static void test_attachments_to_dir(void **state)
{
	(void)state;
	char dir[64], path[4096];
	make_tmpdir(dir);
	snprintf(path, sizeof path, "%s/edoc-other-producer.edxml", data_dir());
	struct lt_edxml_read_opts opts = {.attach_dir = dir};
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_OK);
	assert_int_equal(p->n_attachments, 2);
	assert_int_equal(count_files(dir), 2);
	for (size_t i = 0; i < p->n_attachments; i++) {
		const struct lt_edxml_attachment *a = &p->attachments[i];
		assert_non_null(a->path);
		unsigned char sha[LT_EDXML_SHA256_LEN];
		uint64_t size;
		assert_int_equal(lt_edxml_hash_file(a->path, sha, &size, &err), LT_OK);
		assert_memory_equal(sha, a->sha256, sizeof sha);
		assert_int_equal(size, a->size);
	}
	assert_non_null(strstr(p->attachments[0].path, "/1-15-UBND-VX.pdf"));
	lt_edxml_package_free(p);

	/* A refused package leaves nothing behind, even when its first
	 * attachment decoded fine. */
	rm_rf(dir);
	make_tmpdir(dir);
	opts.attach_dir = dir;
	snprintf(path, sizeof path, "%s/bad-attachment-absent.edxml", data_dir());
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_EINVAL);
	assert_int_equal(count_files(dir), 0);
	snprintf(path, sizeof path, "%s/bad-base64.edxml", data_dir());
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_EINVAL);
	assert_int_equal(count_files(dir), 0);

	/* A missing directory is an I/O failure, said up front. */
	opts.attach_dir = "/nonexistent/lt-edxml";
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_EIO);
	rm_rf(dir);
}

struct counting_sink {
	size_t writes, ends, bytes, max_piece;
	EVP_MD_CTX *sha;
	int fail_after;
};

static int sink_write(void *arg, size_t seq, const void *buf, size_t len, struct lt_err *err)
{
	struct counting_sink *s = arg;
	(void)seq;
	s->writes++;
	s->bytes += len;
	if (len > s->max_piece)
		s->max_piece = len;
	if (s->sha)
		EVP_DigestUpdate(s->sha, buf, len);
	if (s->fail_after && (int)s->writes >= s->fail_after)
		return lt_err_set(err, LT_EIO, "the store is full");
	return LT_OK;
}

static int sink_end(void *arg, size_t seq, struct lt_err *err)
{
	(void)seq, (void)err;
	((struct counting_sink *)arg)->ends++;
	return LT_OK;
}

static void fill_random(unsigned char *buf, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = (unsigned char)(*state >> 24);
	}
}

/* Writes pkg_path: a document from G22 to H14 carrying the file src as its
 * one attachment, named name. */
static void write_one_attachment(const char *src, const char *name, const char *pkg_path)
{
	struct lt_edxml_package *p = lt_edxml_package_new(LT_EDXML_EDOC);
	assert_int_equal(lt_edxml_organ_id_set(&p->from.organ_id, "000.00.00.G22", LT_CODE_LENIENT, NULL), LT_OK);
	struct lt_edxml_organ *to = lt_edxml_add_to(p);
	assert_int_equal(lt_edxml_organ_id_set(&to->organ_id, "000.00.00.H14", LT_CODE_LENIENT, NULL), LT_OK);
	assert_int_equal(lt_edxml_docid_make(&p->document_id, "000.00.00.G22", "2025-01-02", "1", "VPCP-TH",
					     LT_CODE_LENIENT, NULL),
			 LT_OK);
	struct lt_edxml_attachment *a = lt_edxml_add_attachment(p);
	a->name = name;
	a->content_type = "application/octet-stream";
	a->path = src;
	int fd = open(pkg_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_write_fd(p, fd, &err), LT_OK);
	close(fd);
	lt_edxml_package_free(p);
}

/* Base64 content in every layout producers use (one line, CRLF every 76,
 * spaces inside groups), fed in pieces of every small size so groups split
 * across calls: the decoded bytes are the original ones. A bad byte is
 * refused at its own position whether it falls in a run of whole groups
 * or not. */
static void test_base64_layouts_and_splits(void **state)
{
	(void)state;
	char dir[64], src[128], pkg_path[128];
	make_tmpdir(dir);
	snprintf(src, sizeof src, "%s/a.bin", dir);
	snprintf(pkg_path, sizeof pkg_path, "%s/a.edxml", dir);
	const size_t total = 3001; /* not a multiple of 3: the content ends padded */
	unsigned char bin[3001];
	uint64_t rs = 0x2545F4914F6CDD1Dull;
	fill_random(bin, total, &rs);
	FILE *f = fopen(src, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bin, 1, total, f), total);
	fclose(f);
	unsigned char want[LT_EDXML_SHA256_LEN];
	assert_int_equal(lt_edxml_hash_file(src, want, NULL, NULL), LT_OK);
	write_one_attachment(src, "a.bin", pkg_path);
	struct lt_err err = {0};
	size_t len;
	char *pkg = slurp(pkg_path, &len);
	assert_non_null(pkg);
	const char *tag = "ContentTransferEncoded xmlns:edXML=\"" LT_EDXML_NS "\">";
	char *b64 = strstr(pkg, tag);
	assert_non_null(b64);
	b64 += strlen(tag);
	char *b64_end = strchr(b64, '<');
	assert_non_null(b64_end);
	/* The content without whitespace, whatever the writer's layout. */
	size_t nb = 0;
	char *plain = malloc((size_t)(b64_end - b64) + 1);
	assert_non_null(plain);
	for (const char *c = b64; c < b64_end; c++)
		if (!strchr(" \t\r\n", *c))
			plain[nb++] = *c;
	assert_int_equal(nb, (total + 2) / 3 * 4);

	static const size_t steps[] = {1, 2, 3, 5, 7, 11, 64, 4093};
	for (int layout = 0; layout < 3; layout++) {
		/* 0: one line; 1: CRLF every 76; 2: a space after every 5th character */
		char *body = malloc(nb * 3 + 1);
		assert_non_null(body);
		size_t o = 0;
		for (size_t i = 0; i < nb; i++) {
			body[o++] = plain[i];
			if (layout == 1 && i % 76 == 75) {
				body[o++] = '\r';
				body[o++] = '\n';
			} else if (layout == 2 && i % 5 == 4) {
				body[o++] = ' ';
			}
		}
		size_t head = (size_t)(b64 - pkg), tail = len - (size_t)(b64_end - pkg);
		char *v = malloc(head + o + tail);
		assert_non_null(v);
		memcpy(v, pkg, head);
		memcpy(v + head, body, o);
		memcpy(v + head + o, b64_end, tail);
		size_t vlen = head + o + tail;
		for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
			struct counting_sink sink = {.sha = EVP_MD_CTX_new()};
			EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL);
			struct lt_edxml_sink sk = {sink_write, sink_end, &sink};
			struct lt_edxml_read_opts opts = {.sink = &sk};
			struct lt_edxml_package *q = NULL;
			int rc = read_in_pieces(v, vlen, steps[s], &opts, &q, &err);
			if (rc != LT_OK)
				fail_msg("layout %d, pieces of %zu: %s", layout, steps[s], err.msg);
			unsigned char got[LT_EDXML_SHA256_LEN];
			unsigned int n = 0;
			EVP_DigestFinal_ex(sink.sha, got, &n);
			EVP_MD_CTX_free(sink.sha);
			assert_memory_equal(got, want, sizeof want);
			assert_int_equal(sink.bytes, total);
			assert_int_equal(q->attachments[0].size, total);
			assert_int_equal(q->attachments[0].encoded_size, nb);
			assert_memory_equal(q->attachments[0].sha256, want, sizeof want);
			lt_edxml_package_free(q);
		}
		free(v);
		free(body);
	}

	/* A bad byte at character k (1-based, whitespace not counted): at the
	 * start, inside a run of whole groups, split across pieces, at the end. */
	static const size_t bad_at[] = {1, 2, 4, 5, 1000, 1003, 2001, 4000};
	for (size_t b = 0; b < sizeof bad_at / sizeof bad_at[0]; b++) {
		char *v = malloc(len);
		assert_non_null(v);
		memcpy(v, pkg, len);
		size_t seen = 0;
		for (char *c = v + (b64 - pkg); c < v + (b64_end - pkg); c++)
			if (!strchr(" \t\r\n", *c) && ++seen == bad_at[b]) {
				*c = '*';
				break;
			}
		char want_msg[64];
		snprintf(want_msg, sizeof want_msg, "byte 0x2a at character %zu", bad_at[b]);
		for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
			struct lt_edxml_package *q = NULL;
			assert_int_equal(read_in_pieces(v, len, steps[s], NULL, &q, &err), LT_EINVAL);
			if (!strstr(err.msg, want_msg))
				fail_msg("bad byte at %zu, pieces of %zu: '%s'", bad_at[b], steps[s], err.msg);
		}
		free(v);
	}
	free(plain);
	free(pkg);
	rm_rf(dir);
}

/* ---- the bulk base64 decoder (b64.c) ----------------------------------------- */

static bool is_b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Runs of whole groups against OpenSSL's decoder, with and without AVX2: a
 * byte of each of the 256 values at each position of a 128-character run
 * (32 groups: the 32-character steps and the scalar tail) stops the run
 * exactly before its group, or (a base64 character) changes only that
 * group's bytes. */
static void test_base64_groups_every_byte_both_paths(void **state)
{
	(void)state;
	unsigned char bin[96], good[129], s[129], want[96], got[96 + 32];
	uint64_t rs = 0x9E3779B97F4A7C15ull;
	fill_random(bin, sizeof bin, &rs);
	assert_int_equal(EVP_EncodeBlock(good, bin, sizeof bin), 128);
	for (int simd = 0; simd < 2; simd++)
		for (size_t pos = 0; pos < 128; pos++)
			for (int v = 0; v < 256; v++) {
				memcpy(s, good, sizeof s);
				s[pos] = (unsigned char)v;
				size_t groups = is_b64_char(v) ? 32 : pos / 4;
				assert_int_equal(EVP_DecodeBlock(want, s, (int)(4 * groups)), (int)(3 * groups));
				memset(got, 0xEE, sizeof got);
				size_t n = lt__edxml_b64_groups(s, 32, got, simd);
				if (n != groups)
					fail_msg("simd %d, byte 0x%02x at %zu: %zu groups, want %zu", simd, v, pos, n,
						 groups);
				assert_memory_equal(got, want, 3 * groups);
			}
}

/* Random content of every length up to 1200 bytes, decoded from every
 * starting group and for every count of groups the caller's room allows:
 * the same bytes as OpenSSL's decoder, and nothing past 3 bytes a group. */
static void test_base64_groups_match_openssl(void **state)
{
	(void)state;
	unsigned char bin[1200], enc[1604], want[1200], got[1200 + 64];
	uint64_t rs = 0xD1B54A32D192ED03ull;
	for (size_t n = 0; n <= sizeof bin; n += n < 100 ? 1 : 37) {
		fill_random(bin, n, &rs);
		int elen = EVP_EncodeBlock(enc, bin, (int)n);
		size_t groups = (size_t)elen / 4 - (n % 3 ? 1 : 0); /* the padded group is the checked path's */
		for (size_t from = 0; from <= groups && from < 6; from++)
			for (size_t take = groups - from; take + 13 > groups - from && take > 0; take--) {
				assert_int_equal(EVP_DecodeBlock(want, enc + 4 * from, (int)(4 * take)),
						 (int)(3 * take));
				for (int simd = 0; simd < 2; simd++) {
					memset(got, 0xEE, sizeof got);
					assert_int_equal(lt__edxml_b64_groups(enc + 4 * from, take, got, simd), take);
					assert_memory_equal(got, want, 3 * take);
					assert_int_equal(got[3 * take], 0xEE);
				}
			}
	}
}

/* The package `pkg` (one attachment) with its base64 text replaced by
 * `text`; *out_len set. */
static char *splice_b64(const char *pkg, size_t len, const char *text, size_t tlen, size_t *out_len)
{
	const char *tag = "ContentTransferEncoded xmlns:edXML=\"" LT_EDXML_NS "\">";
	const char *b = strstr(pkg, tag);
	assert_non_null(b);
	b += strlen(tag);
	const char *e = strchr(b, '<');
	assert_non_null(e);
	size_t head = (size_t)(b - pkg), tail = len - (size_t)(e - pkg);
	char *v = malloc(head + tlen + tail);
	assert_non_null(v);
	memcpy(v, pkg, head);
	memcpy(v + head, text, tlen);
	memcpy(v + head + tlen, e, tail);
	*out_len = head + tlen + tail;
	return v;
}

/* A package of one attachment ("x") made in a new directory `dir`, as the
 * template the base64 tests splice their own content into. */
static char *template_package(char dir[64], size_t *len)
{
	char src[128], pkg_path[128];
	make_tmpdir(dir);
	snprintf(src, sizeof src, "%s/a.bin", dir);
	snprintf(pkg_path, sizeof pkg_path, "%s/a.edxml", dir);
	FILE *f = fopen(src, "wb");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
	write_one_attachment(src, "a.bin", pkg_path);
	char *pkg = slurp(pkg_path, len);
	assert_non_null(pkg);
	return pkg;
}

/* Attachments of sizes around every padding case and around the 32-character
 * steps, laid out on one line, with LF every 64 characters (a step's width)
 * or a space every 37, fed in pieces that split groups and steps: the sink
 * gets exactly the original bytes, as OpenSSL decodes them. */
static void test_base64_sizes_layouts_in_reader(void **state)
{
	(void)state;
	char dir[64];
	size_t len;
	char *pkg = template_package(dir, &len);
	static const size_t sizes[] = {1, 2, 3, 4, 5, 23, 24, 25, 26, 47, 48, 49, 95, 96, 97, 98, 1000, 4097};
	static const size_t steps[] = {1, 3, 32, 33, 4093, 1 << 20};
	uint64_t rs = 0x2545F4914F6CDD1Dull;
	for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
		size_t n = sizes[z];
		unsigned char *bin = malloc(n), *enc = malloc(4 * n + 8), *ref = malloc(n + 3);
		char *text = malloc(8 * n + 16);
		assert_true(bin && enc && ref && text);
		fill_random(bin, n, &rs);
		int elen = EVP_EncodeBlock(enc, bin, (int)n);
		/* The reference decoder gives back the bytes (less the padding's zeros). */
		int rlen = EVP_DecodeBlock(ref, enc, elen);
		assert_int_equal(rlen - (n % 3 ? 3 - (int)(n % 3) : 0), (int)n);
		assert_memory_equal(ref, bin, n);
		unsigned char want[LT_EDXML_SHA256_LEN];
		unsigned int wn = 0;
		EVP_Digest(bin, n, want, &wn, EVP_sha256(), NULL);
		for (int layout = 0; layout < 3; layout++) {
			size_t t = 0;
			for (int i = 0; i < elen; i++) {
				text[t++] = (char)enc[i];
				if (layout == 1 && i % 64 == 63)
					text[t++] = '\n';
				else if (layout == 2 && i % 37 == 36)
					text[t++] = ' ';
			}
			size_t vlen;
			char *v = splice_b64(pkg, len, text, t, &vlen);
			for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
				struct counting_sink sink = {.sha = EVP_MD_CTX_new()};
				EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL);
				struct lt_edxml_sink sk = {sink_write, sink_end, &sink};
				struct lt_edxml_read_opts opts = {.sink = &sk};
				struct lt_edxml_package *q = NULL;
				struct lt_err err = {0};
				int rc = read_in_pieces(v, vlen, steps[st], &opts, &q, &err);
				if (rc != LT_OK)
					fail_msg("%zu bytes, layout %d, pieces of %zu: %s", n, layout, steps[st],
						 err.msg);
				unsigned char got[LT_EDXML_SHA256_LEN];
				unsigned int gn = 0;
				EVP_DigestFinal_ex(sink.sha, got, &gn);
				EVP_MD_CTX_free(sink.sha);
				assert_int_equal(sink.bytes, n);
				assert_memory_equal(got, want, sizeof want);
				assert_int_equal(q->attachments[0].size, n);
				assert_int_equal(q->attachments[0].encoded_size, (uint64_t)elen);
				assert_memory_equal(q->attachments[0].sha256, want, sizeof want);
				lt_edxml_package_free(q);
			}
			free(v);
		}
		free(bin);
		free(enc);
		free(ref);
		free(text);
	}
	free(pkg);
	rm_rf(dir);
}

/* Bad base64 inside long runs (where the 32-character steps stop) and at
 * their edges, whatever the pieces: each refused with its own reason and
 * position, as OpenSSL's decoder refuses it too. */
static void test_base64_refusals_in_runs(void **state)
{
	(void)state;
	char dir[64];
	size_t len;
	char *pkg = template_package(dir, &len);
	unsigned char bin[300], good[401];
	uint64_t rs = 0x853C49E6748FEA9Bull;
	fill_random(bin, sizeof bin, &rs);
	assert_int_equal(EVP_EncodeBlock(good, bin, sizeof bin), 400);
	static const struct {
		size_t at;        /* 0-based character replaced */
		const char *with; /* what replaces it (same length or not) */
		const char *msg;
	} cases[] = {
		{0, "*", "byte 0x2a at character 1"},
		{33, "-", "byte 0x2d at character 34"},
		{63, "_", "byte 0x5f at character 64"},
		{64, "\xc3\xa9", "byte 0xc3 at character 65"},
		{200, "=", "'=' at character 201 pads too much"},
		{202, "==", "data after '=' padding at character 205"},
		{203, "=", "data after '=' padding at character 205"},
		{399, "&#0;", "not well-formed"},
		{396, "QQ=", "ends inside a group"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char text[420];
		size_t wl = strlen(cases[c].with);
		memcpy(text, good, cases[c].at);
		memcpy(text + cases[c].at, cases[c].with, wl);
		size_t keep = cases[c].at + 1 < 400 ? 400 - cases[c].at - 1 : 0;
		if (strcmp(cases[c].with, "QQ=") == 0)
			keep = 0; /* 396 + 3: one character short of a group */
		memcpy(text + cases[c].at + wl, good + cases[c].at + 1, keep);
		size_t tl = cases[c].at + wl + keep;
		/* OpenSSL's decoder refuses the same text (XML aside). */
		unsigned char ref[420];
		if (strchr(cases[c].with, '&') == NULL)
			assert_true(EVP_DecodeBlock(ref, (const unsigned char *)text, (int)tl) < 0 || tl % 4 != 0 ||
				    strchr(cases[c].with, '='));
		size_t vlen;
		char *v = splice_b64(pkg, len, text, tl, &vlen);
		static const size_t steps[] = {1, 5, 32, 4093};
		for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
			struct lt_edxml_package *q = NULL;
			struct lt_err err = {0};
			assert_int_equal(read_in_pieces(v, vlen, steps[st], NULL, &q, &err), LT_EINVAL);
			if (!strstr(err.msg, cases[c].msg))
				fail_msg("case %zu, pieces of %zu: '%s', want '%s'", c, steps[st], err.msg,
					 cases[c].msg);
		}
		free(v);
	}
	free(pkg);
	rm_rf(dir);
}

static void test_large_attachment_in_bounded_memory(void **state)
{
	(void)state;
	char dir[64], src[128], pkg_path[128];
	make_tmpdir(dir);
	snprintf(src, sizeof src, "%s/big.bin", dir);
	snprintf(pkg_path, sizeof pkg_path, "%s/big.edxml", dir);
	const size_t total = 15u * 1024 * 1024; /* 20 MB of base64 */
	FILE *f = fopen(src, "wb");
	assert_non_null(f);
	unsigned char *chunk = malloc(1024 * 1024);
	assert_non_null(chunk);
	uint64_t rs = 0x9E3779B97F4A7C15ull;
	for (size_t done = 0; done < total; done += 1024 * 1024) {
		fill_random(chunk, 1024 * 1024, &rs);
		assert_int_equal(fwrite(chunk, 1, 1024 * 1024, f), 1024 * 1024);
	}
	fclose(f);
	free(chunk);
	unsigned char want[LT_EDXML_SHA256_LEN];
	assert_int_equal(lt_edxml_hash_file(src, want, NULL, NULL), LT_OK);

	write_one_attachment(src, "big.bin", pkg_path);
	struct lt_err err = {0};
	struct lt_edxml_package *p = NULL;
	int fd;

	struct counting_sink sink = {.sha = EVP_MD_CTX_new()};
	EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL);
	struct lt_edxml_sink s = {sink_write, sink_end, &sink};
	struct lt_edxml_read_opts opts = {.sink = &s};
	fd = open(pkg_path, O_RDONLY);
	assert_true(fd >= 0);
	xml_peak = xml_live;
	size_t before = xml_live;
	clock_t t0 = clock();
	assert_int_equal(lt_edxml_read_fd(fd, &opts, &p, &err), LT_OK);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	close(fd);
	print_message("20 MB package read in %.2f s; libxml2 peak %zu KiB\n", secs, (xml_peak - before) / 1024);
	/* The parser's memory stays small and fixed while 20 MB stream past. */
	assert_true(xml_peak - before < 1024 * 1024);
	assert_int_equal(p->n_attachments, 1);
	assert_int_equal(p->attachments[0].size, total);
	assert_int_equal(p->attachments[0].encoded_size, (total + 2) / 3 * 4);
	assert_memory_equal(p->attachments[0].sha256, want, sizeof want);
	assert_int_equal(sink.bytes, total);
	assert_int_equal(sink.ends, 1);
	assert_true(sink.max_piece <= 48 * 1024);
	unsigned char got[LT_EDXML_SHA256_LEN];
	unsigned int n = 0;
	EVP_DigestFinal_ex(sink.sha, got, &n);
	assert_memory_equal(got, want, sizeof want);
	lt_edxml_package_free(p);

	/* A sink's refusal stops the read with its own status and words. */
	EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL);
	sink.fail_after = 3;
	sink.writes = 0;
	assert_int_equal(lt_edxml_read_file(pkg_path, &opts, &p, &err), LT_EIO);
	assert_non_null(strstr(err.msg, "AttachmentEncoded/Attachment[1]/ContentTransferEncoded: the store is full"));
	EVP_MD_CTX_free(sink.sha);
	rm_rf(dir);
}

static void test_zipped_attachment(void **state)
{
	(void)state;
	char dir[64], path[4096], out[128];
	make_tmpdir(dir);
	snprintf(path, sizeof path, "%s/edoc-vnpt-new.edxml", data_dir());
	struct lt_edxml_read_opts opts = {.attach_dir = dir};
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_read_file(path, &opts, &p, &err), LT_OK);
	const struct lt_edxml_attachment *a = &p->attachments[0];
	assert_true(a->zipped);
	/* The name keeps the original file name; the file on disk says zip. */
	assert_string_equal(a->name, "1896_QD-TTg_m_294779.doc");
	assert_non_null(strstr(a->path, "/1-1896_QD-TTg_m_294779.doc.zip"));

	struct lt_edxml_zip *z = NULL;
	assert_int_equal(lt_edxml_zip_open(a->path, &z, &err), LT_OK);
	assert_int_equal(lt_edxml_zip_count(z), 1);
	const char *name;
	uint64_t size;
	assert_int_equal(lt_edxml_zip_entry(z, 0, &name, &size, &err), LT_OK);
	assert_string_equal(name, "32da2890-1a55-4ccd-9ac9-cd0d98559e67.edxml");
	assert_int_equal(lt_edxml_zip_entry(z, 1, &name, &size, &err), LT_ENOTFOUND);
	snprintf(out, sizeof out, "%s/entry.edxml", dir);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(lt_edxml_zip_extract(z, 0, fd, 1 << 20, &err), LT_OK);
	close(fd);
	size_t len;
	char *inner = slurp(out, &len);
	assert_int_equal(len, size);
	assert_true(strncmp(inner, "<?xml", 5) == 0);
	free(inner);
	/* A cap below the entry's size stops the extraction. */
	fd = open(out, O_WRONLY | O_TRUNC);
	assert_int_equal(lt_edxml_zip_extract(z, 0, fd, 100, &err), LT_ETOOBIG);
	close(fd);
	lt_edxml_zip_close(z);
	lt_edxml_zip_close(NULL);

	assert_int_equal(lt_edxml_zip_open(path, &z, &err), LT_EINVAL);
	assert_null(z);
	lt_edxml_package_free(p);
	rm_rf(dir);
}

/* ---- writer --------------------------------------------------------------------------------------- */

static char *write_to_string(const struct lt_edxml_package *p, int *rc, struct lt_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	*rc = lt_edxml_write(p, f, err);
	fclose(f);
	return buf;
}

#define SET(p, field, s) ((p)->field = lt_edxml_strdup((p), (s)))

static void organ_fill(struct lt_edxml_package *p, struct lt_edxml_organ *o, const char *code, const char *name)
{
	assert_int_equal(lt_edxml_organ_id_set(&o->organ_id, code, LT_CODE_LENIENT, NULL), LT_OK);
	o->organ_name = lt_edxml_strdup(p, name);
	o->organization_in_charge = "Chính phủ";
	o->organ_add = "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội";
	o->email = "vanthu@example.gov.vn";
	o->telephone = "024 3823 1234";
	o->fax = "024 3823 5678";
	o->website = "example.gov.vn";
}

/* A package with every field set, the way a document system builds one. */
static struct lt_edxml_package *full_edoc(const char *dir, int doc_type)
{
	struct lt_edxml_package *p = lt_edxml_package_new(LT_EDXML_EDOC);
	assert_non_null(p);
	organ_fill(p, &p->from, "000.00.00.G22", "Văn phòng Chính phủ");
	organ_fill(p, lt_edxml_add_to(p), "000.00.00.H14", "UBND tỉnh Cao Bằng");
	organ_fill(p, lt_edxml_add_to(p), "001.00.10.H47", "Một đơn vị mã lỗ hổng");
	organ_fill(p, lt_edxml_add_to(p), "000.46.24.H44", "UBND xã Tiên Lương");
	p->code.number = "7816";
	p->code.notation = "VPCP-TTĐT";
	p->promulgation.place = "Hà Nội";
	snprintf(p->promulgation.date, sizeof p->promulgation.date, "2015-09-30");
	assert_int_equal(lt_edxml_docid_make(&p->document_id, "000.00.00.G22", p->promulgation.date, "7816",
					     "VPCP-TTĐT", LT_CODE_LENIENT, NULL),
			 LT_OK);
	p->document_type.type = 1;
	p->document_type.type_detail = 0;
	p->document_type.type_name = "Công văn";
	SET(p, subject, "V/v <kết nối> & \"liên thông\" 'văn bản'\nDòng hai");
	p->content = "Nội dung tóm tắt";
	p->signer.competence = "KT. BỘ TRƯỞNG, CHỦ NHIỆM";
	p->signer.position = "Phó Chủ nhiệm";
	p->signer.full_name = "Nguyễn Văn A";
	snprintf(p->due_date, sizeof p->due_date, "2015-10-15");
	assert_int_equal(lt_edxml_add_to_place(p, "Như trên"), LT_OK);
	assert_int_equal(lt_edxml_add_to_place(p, "Lưu: VT, TTĐT"), LT_OK);
	p->other.priority = 3;
	p->other.sphere_of_promulgation = "Liên thông văn bản quốc gia";
	p->other.typer_notation = "TVC";
	p->other.promulgation_amount = 2;
	p->other.page_amount = 22;
	p->other.direction = 0;
	assert_int_equal(lt_edxml_add_appendix(p, "Phụ lục I"), LT_OK);
	struct lt_edxml_response_for *rf = lt_edxml_add_response_for(p);
	assert_int_equal(lt_edxml_organ_id_set(&rf->organ_id, "000.00.04.G14", LT_CODE_LENIENT, NULL), LT_OK);
	rf->code = "120/THH-CPĐT";
	snprintf(rf->promulgation_date, sizeof rf->promulgation_date, "2015-09-01");
	assert_int_equal(
		lt_edxml_docid_parse(&rf->document_id, "000.00.04.G14,2015/09/01,120/THH-CPĐT", LT_CODE_LENIENT, NULL),
		LT_OK);
	p->steering_type = 1;
	struct lt_edxml_trace *t = lt_edxml_add_trace(p);
	assert_int_equal(lt_edxml_organ_id_set(&t->organ_id, "000.00.00.G22", LT_CODE_LENIENT, NULL), LT_OK);
	snprintf(t->timestamp, sizeof t->timestamp, "2015-09-30T08:09:10");
	struct lt_edxml_business *b = &p->business;
	b->doc_type = doc_type;
	b->doc_reason = "Lý do";
	b->staff.department = "Văn thư";
	b->staff.staff = "Nguyễn Thị Ngọc Trâm";
	b->staff.email = "vanthu@gov.vn";
	b->staff.mobile = "84912000001";
	if (doc_type == LT_EDXML_UPDATE || doc_type == LT_EDXML_REVOKE)
		assert_int_equal(lt_edxml_docid_parse(&b->document_id, "000.00.00.G22,2015/09/29,7800/VPCP-TTĐT",
						      LT_CODE_LENIENT, NULL),
				 LT_OK);
	if (doc_type == LT_EDXML_UPDATE) {
		b->document_info = 1;
		b->document_receiver = 1;
		for (int i = 0; i < 5; i++) {
			struct lt_edxml_receiver *rc = lt_edxml_add_receiver(p);
			char code[20];
			snprintf(code, sizeof code, "000.00.%02d.H14", i + 1);
			assert_int_equal(lt_edxml_organ_id_set(&rc->organ_id, code, LT_CODE_LENIENT, NULL), LT_OK);
			rc->receiver_type = i % 2;
		}
	}
	if (doc_type == LT_EDXML_REPLACE) {
		for (int i = 0; i < 2; i++) {
			struct lt_edxml_replacement *rp = lt_edxml_add_replacement(p);
			char id[64];
			snprintf(id, sizeof id, "000.00.00.G22,2015/09/2%d,77%02d/VPCP-TTĐT", i, i);
			assert_int_equal(lt_edxml_docid_parse(&rp->document_id, id, LT_CODE_LENIENT, NULL), LT_OK);
			for (int k = 0; k <= i; k++)
				assert_int_equal(lt_edxml_organ_id_set(lt_edxml_add_replacement_organ(p, rp),
								       k ? "000.00.00.H41" : "000.00.00.H14",
								       LT_CODE_LENIENT, NULL),
						 LT_OK);
		}
	}
	/* Attachments of awkward sizes: empty, one byte short of a base64 group,
	 * and more than one writer chunk. */
	static const size_t sizes[] = {0, 2, 100000};
	uint64_t rs = 42;
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof path, "%s/src-%zu.bin", dir, i);
		unsigned char *data = malloc(sizes[i] + 1);
		fill_random(data, sizes[i], &rs);
		write_file(path, data, sizes[i]);
		free(data);
		struct lt_edxml_attachment *a = lt_edxml_add_attachment(p);
		assert_non_null(a);
		a->path = lt_edxml_strdup(p, path);
		a->name = i == 1 ? "Tờ trình & phụ lục.pdf" : "tệp.bin";
		a->content_type = "application/octet-stream";
		a->description = i ? "Mô tả" : NULL;
		assert_int_equal(lt_edxml_hash_file(path, a->sha256, &a->size, NULL), LT_OK);
		a->encoded_size = (a->size + 2) / 3 * 4;
	}
	return p;
}

/* Write p, read it back, and expect the same fields. */
static void round_trip(struct lt_edxml_package *p, const char *dir)
{
	char path[128], out_dir[128];
	snprintf(path, sizeof path, "%s/rt.edxml", dir);
	snprintf(out_dir, sizeof out_dir, "%s/out", dir);
	mkdir(out_dir, 0700);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	struct lt_err err = {0};
	if (lt_edxml_write(p, f, &err) != LT_OK)
		fail_msg("write: %s", err.msg);
	fclose(f);
	struct lt_edxml_read_opts opts = {.attach_dir = out_dir};
	struct lt_edxml_package *q = NULL;
	if (lt_edxml_read_file(path, &opts, &q, &err) != LT_OK)
		fail_msg("read back: %s", err.msg);
	char *a = flatten(p), *b = flatten(q);
	if (strcmp(a, b) != 0) {
		/* Show the first line that differs. */
		const char *x = a, *y = b;
		while (*x && *x == *y)
			x++, y++;
		while (x > a && x[-1] != '\n')
			x--, y--;
		fail_msg("round trip differs:\n  wrote %.120s\n  read  %.120s", x, y);
	}
	for (size_t i = 0; i < q->n_attachments; i++) {
		unsigned char sha[LT_EDXML_SHA256_LEN];
		assert_int_equal(lt_edxml_hash_file(q->attachments[i].path, sha, NULL, NULL), LT_OK);
		assert_memory_equal(sha, p->attachments[i].sha256, sizeof sha);
	}
	free(a);
	free(b);
	lt_edxml_package_free(q);
	rm_rf(out_dir);
}

static void test_round_trip_edoc(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir);
	static const int types[] = {LT_EDXML_NEW, LT_EDXML_REVOKE, LT_EDXML_UPDATE, LT_EDXML_REPLACE};
	for (size_t i = 0; i < 4; i++) {
		struct lt_edxml_package *p = full_edoc(dir, types[i]);
		round_trip(p, dir);
		lt_edxml_package_free(p);
	}
	/* Nothing but what is required. */
	struct lt_edxml_package *p = lt_edxml_package_new(LT_EDXML_EDOC);
	assert_int_equal(lt_edxml_organ_id_set(&p->from.organ_id, "000.00.00.H14", LT_CODE_LENIENT, NULL), LT_OK);
	assert_int_equal(lt_edxml_organ_id_set(&lt_edxml_add_to(p)->organ_id, "000.00.00.G22", LT_CODE_LENIENT, NULL),
			 LT_OK);
	assert_int_equal(lt_edxml_docid_parse(&p->document_id, "000.00.00.H14,2024/02/29,1", LT_CODE_LENIENT, NULL),
			 LT_OK);
	round_trip(p, dir);
	lt_edxml_package_free(p);
	rm_rf(dir);
}

static void test_round_trip_status(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir);
	struct lt_edxml_package *p = lt_edxml_package_new(LT_EDXML_STATUS);
	organ_fill(p, &p->from, "000.00.00.H41", "UBND Tỉnh Nghệ An");
	organ_fill(p, lt_edxml_add_to(p), "000.00.00.G22", "Văn phòng Chính phủ");
	struct lt_edxml_response_for *rf = lt_edxml_add_response_for(p);
	assert_int_equal(lt_edxml_organ_id_set(&rf->organ_id, "000.00.00.G22", LT_CODE_LENIENT, NULL), LT_OK);
	rf->code = "7816/VPCP-TTĐT";
	assert_int_equal(lt_edxml_docid_parse(&rf->document_id, "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
					      LT_CODE_LENIENT, NULL),
			 LT_OK);
	snprintf(rf->promulgation_date, sizeof rf->promulgation_date, "2015-09-30");
	p->staff.department = "Phòng hành chính";
	p->staff.staff = "Nguyễn Thị Ngọc Trâm";
	p->staff.mobile = "84912000001";
	p->staff.email = "ngoctram@nghean.vn";
	static const char *codes[] = {"01", "02", "03", "04", "05", "06", "13", "15", "16"};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		snprintf(p->status_code, sizeof p->status_code, "%s", codes[i]);
		p->description = lt_edxml_status_name(codes[i]);
		snprintf(p->timestamp, sizeof p->timestamp, "2015-09-20T11:08:%02zu", i);
		round_trip(p, dir);
	}
	lt_edxml_package_free(p);
	rm_rf(dir);
}

/* Every good sample survives read → write → read unchanged. */
static void test_round_trip_samples(void **state)
{
	(void)state;
	static const char *samples[] = {"edoc-vnpt-new",       "edoc-update",
					"edoc-other-producer", "edoc-default-ns",
					"edoc-minimal",        "edoc-revoke",
					"edoc-replace",        "status-05-processing",
					"status-13-revoke",    "status-16-change-refused"};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char dir[64], dec[128], path[4096];
		make_tmpdir(dir);
		snprintf(dec, sizeof dec, "%s/decoded", dir);
		mkdir(dec, 0700);
		snprintf(path, sizeof path, "%s/%s.edxml", data_dir(), samples[i]);
		struct lt_edxml_read_opts opts = {.attach_dir = dec};
		struct lt_edxml_package *p = NULL;
		struct lt_err err = {0};
		if (lt_edxml_read_file(path, &opts, &p, &err) != LT_OK)
			fail_msg("%s: %s", samples[i], err.msg);
		round_trip(p, dir);
		lt_edxml_package_free(p);
		rm_rf(dec);
		rm_rf(dir);
	}
}

static size_t pos(const char *hay, const char *needle)
{
	const char *s = strstr(hay, needle);
	if (!s)
		fail_msg("the output lacks %s", needle);
	return (size_t)(s - hay);
}

static void test_writer_layout(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir);
	struct lt_edxml_package *p = full_edoc(dir, LT_EDXML_UPDATE);
	int rc;
	struct lt_err err = {0};
	char *xml = write_to_string(p, &rc, &err);
	assert_int_equal(rc, LT_OK);
	/* §2.2: default namespace on the root, edXML: prefixes inside the
	 * envelope, AttachmentEncoded unprefixed, the prefix declared again on
	 * ContentTransferEncoded. */
	assert_true(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML xmlns=\"" NS "\">\n", 92) == 0);
	pos(xml,
	    "  <edXML:edXMLEnvelope xmlns:edXML=\"" NS "\">\n    <edXML:edXMLHeader>\n      <edXML:MessageHeader>\n");
	pos(xml, "<edXML:edXMLManifest version=\"1.0\">");
	pos(xml, "\n  <AttachmentEncoded>\n    <Attachment>\n      <ContentId>");
	pos(xml, "<edXML:ContentTransferEncoded xmlns:edXML=\"" NS "\">");
	pos(xml, "<edXML:ContentId>cid:");
	pos(xml, "<edXML:Bussiness>");
	pos(xml, "<edXML:BussinessDocType>2</edXML:BussinessDocType>");
	pos(xml, "<edXML:PromulgationDate>2015/09/30</edXML:PromulgationDate>");
	pos(xml, "<edXML:Timestamp>2015/09/30 08:09:10</edXML:Timestamp>");
	pos(xml, "<edXML:Subject>V/v &lt;kết nối&gt; &amp; &quot;liên thông&quot; &apos;văn bản&apos;\nDòng "
		 "hai</edXML:Subject>");
	pos(xml, "<AttachmentName>Tờ trình &amp; phụ lục.pdf</AttachmentName>");
	assert_null(strstr(xml, "Business"));
	/* §2.4: the order of the MessageHeader children. */
#define L4 "\n        <edXML:"
	static const char *order[] = {L4 "From>",
				      L4 "To>",
				      L4 "Code>",
				      L4 "PromulgationInfo>",
				      L4 "DocumentType>",
				      L4 "Subject>",
				      L4 "Content>",
				      L4 "SignerInfo>",
				      L4 "DueDate>",
				      L4 "ToPlaces>",
				      L4 "OtherInfo>",
				      L4 "ResponseFor>",
				      L4 "SteeringType>",
				      L4 "DocumentId>",
				      "</edXML:MessageHeader>",
				      "<edXML:TraceHeaderList>",
				      "<edXML:edXMLBody>",
				      "<AttachmentEncoded>"};
#undef L4
	for (size_t i = 1; i < sizeof order / sizeof order[0]; i++)
		if (pos(xml, order[i - 1]) >= pos(xml, order[i]))
			fail_msg("%s is written after %s", order[i - 1], order[i]);
	free(xml);
	lt_edxml_package_free(p);

	/* A status has a header and nothing else (§2.8). */
	p = lt_edxml_package_new(LT_EDXML_STATUS);
	assert_int_equal(lt_edxml_organ_id_set(&p->from.organ_id, "000.00.00.H41", LT_CODE_LENIENT, NULL), LT_OK);
	struct lt_edxml_response_for *rf = lt_edxml_add_response_for(p);
	assert_int_equal(lt_edxml_organ_id_set(&rf->organ_id, "000.00.00.G22", LT_CODE_LENIENT, NULL), LT_OK);
	assert_int_equal(lt_edxml_docid_parse(&rf->document_id, "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
					      LT_CODE_LENIENT, NULL),
			 LT_OK);
	snprintf(p->status_code, sizeof p->status_code, "03");
	xml = write_to_string(p, &rc, &err);
	assert_int_equal(rc, LT_OK);
	assert_null(strstr(xml, "TraceHeaderList"));
	assert_null(strstr(xml, "edXMLBody"));
	assert_null(strstr(xml, "AttachmentEncoded"));
	assert_true(pos(xml, "<edXML:ResponseFor>") < pos(xml, "<edXML:StaffInfo>"));
	assert_true(pos(xml, "<edXML:StaffInfo>") < pos(xml, "<edXML:StatusCode>03</edXML:StatusCode>"));
	assert_true(pos(xml, "<edXML:StatusCode>") < pos(xml, "<edXML:Timestamp/>"));
	free(xml);
	lt_edxml_package_free(p);
	rm_rf(dir);
}

static void expect_refusal(struct lt_edxml_package *p, const char *words)
{
	int rc;
	struct lt_err err = {0};
	char *xml = write_to_string(p, &rc, &err);
	if (rc != LT_EINVAL && rc != LT_EIO)
		fail_msg("written despite '%s'", words);
	if (!strstr(err.msg, words))
		fail_msg("message '%s' lacks '%s'", err.msg, words);
	/* Nothing is written when a package is refused. */
	assert_int_equal(strlen(xml), 0);
	free(xml);
}

static void test_writer_refuses(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir);
	struct lt_edxml_package *p = full_edoc(dir, LT_EDXML_NEW);
	const char *keep = p->subject;
	p->subject = "bell \a";
	expect_refusal(p, "Subject: character U+0007 cannot be written in XML");
	p->subject = "\xC3\x28";
	expect_refusal(p, "Subject: the text is not valid UTF-8");
	p->subject = keep;

	snprintf(p->due_date, sizeof p->due_date, "2015-02-30");
	expect_refusal(p, "DueDate: '2015-02-30' is not a real calendar date");
	p->due_date[0] = '\0';

	const char *path = p->attachments[1].path;
	p->attachments[1].path = NULL;
	expect_refusal(p, "attachment 2 (Tờ trình & phụ lục.pdf) has no file to embed");
	p->attachments[1].path = "/nonexistent/file.pdf";
	expect_refusal(p, "cannot open attachment /nonexistent/file.pdf");
	p->attachments[1].path = path;

	char saved[LT_CODE_BUFSZ];
	memcpy(saved, p->to[1].organ_id.text, sizeof saved);
	snprintf(p->to[1].organ_id.text, sizeof p->to[1].organ_id.text, "H14");
	expect_refusal(p, "To: H14 is not a valid code");
	p->to[1].organ_id.text[0] = '\0';
	expect_refusal(p, "To: OrganId is missing");
	memcpy(p->to[1].organ_id.text, saved, sizeof saved);

	p->document_id.text[0] = '\0';
	expect_refusal(p, "MessageHeader: DocumentId is missing");
	size_t n_to = p->n_to;
	p->n_to = 0;
	expect_refusal(p, "To is missing");
	p->n_to = n_to;
	lt_edxml_package_free(p);

	p = lt_edxml_package_new(LT_EDXML_STATUS);
	assert_int_equal(lt_edxml_organ_id_set(&p->from.organ_id, "000.00.00.H41", LT_CODE_LENIENT, NULL), LT_OK);
	snprintf(p->status_code, sizeof p->status_code, "14");
	expect_refusal(p, "StatusCode '14' is not one of");
	snprintf(p->status_code, sizeof p->status_code, "01");
	expect_refusal(p, "ResponseFor is missing");
	lt_edxml_package_free(p);
	rm_rf(dir);
}

/* ---- values and API edges ------------------------------------------------------------------------------ */

static void test_docid_and_status_names(void **state)
{
	(void)state;
	struct lt_edxml_docid d;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_docid_parse(&d, "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", LT_CODE_LENIENT, &err),
			 LT_OK);
	assert_string_equal(d.organ_id.text, "000.00.00.G22");
	assert_string_equal(d.date, "2015-09-30");
	assert_string_equal(d.code, "7816/VPCP-TTĐT");
	assert_int_equal(lt_edxml_docid_parse(&d, "000.00.00.G22,30/09/2015,7816", LT_CODE_LENIENT, &err), LT_OK);
	assert_string_equal(d.date, "2015-09-30");
	assert_int_equal(lt_edxml_docid_parse(&d, "000.00.00.G22,2015/13/30,7816", LT_CODE_LENIENT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "DocumentId date '2015/13/30'"));
	assert_int_equal(lt_edxml_docid_parse(&d, "00.22.W00,2015/09/30,1", LT_CODE_LENIENT, &err), LT_EINVAL);
	assert_int_equal(lt_edxml_docid_parse(&d, "00.22.W00,2015/09/30,1", LT_CODE_LENIENT | LT_CODE_SYSTEM, &err),
			 LT_OK);
	assert_int_equal(lt_edxml_docid_parse(&d, "000.00.00.G22,2015/09/30,", LT_CODE_LENIENT, &err), LT_EINVAL);
	assert_int_equal(lt_edxml_docid_parse(&d, "", LT_CODE_LENIENT, &err), LT_EINVAL);
	assert_int_equal(lt_edxml_docid_make(&d, "000.00.00.H14", "29/02/2024", "42", "UBND-TH", LT_CODE_LENIENT, &err),
			 LT_OK);
	assert_string_equal(d.text, "000.00.00.H14,2024/02/29,42/UBND-TH");
	assert_int_equal(lt_edxml_docid_make(&d, "000.00.00.H14", "2024-02-29", "42", NULL, LT_CODE_LENIENT, &err),
			 LT_OK);
	assert_string_equal(d.text, "000.00.00.H14,2024/02/29,42");
	assert_int_equal(lt_edxml_docid_make(&d, "000.00.00.H14", NULL, "42", NULL, LT_CODE_LENIENT, &err), LT_EINVAL);

	assert_string_equal(lt_edxml_status_name("01"), "arrived");
	assert_string_equal(lt_edxml_status_name("06"), "finished");
	assert_string_equal(lt_edxml_status_name("16"), "change refused");
	assert_null(lt_edxml_status_name("14"));
	assert_null(lt_edxml_status_name("07"));
	assert_null(lt_edxml_status_name(NULL));

	char hex[65];
	unsigned char sha[LT_EDXML_SHA256_LEN];
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "abc", 3), 3);
	close(fds[1]);
	uint64_t size;
	assert_int_equal(lt_edxml_hash_fd(fds[0], sha, &size, &err), LT_OK);
	close(fds[0]);
	assert_int_equal(size, 3);
	assert_string_equal(lt_edxml_hash_hex(sha, hex),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(lt_edxml_hash_file("/nonexistent/x.edxml", sha, NULL, &err), LT_ENOTFOUND);
}

static void test_reader_api_edges(void **state)
{
	(void)state;
	lt_edxml_reader_free(NULL);
	lt_edxml_package_free(NULL);
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_edxml_read_file("/nonexistent/x.edxml", NULL, &p, &err), LT_ENOTFOUND);

	char path[4096];
	snprintf(path, sizeof path, "%s/edoc-minimal.edxml", data_dir());
	size_t len;
	char *bytes = slurp(path, &len);
	struct lt_edxml_reader *r;
	assert_int_equal(lt_edxml_reader_new(&r, NULL, &err), LT_OK);
	assert_int_equal(lt_edxml_reader_feed(r, bytes, len, &err), LT_OK);
	assert_int_equal(lt_edxml_reader_feed(r, "", 0, &err), LT_OK);
	assert_int_equal(lt_edxml_reader_finish(r, &p, &err), LT_OK);
	assert_non_null(p);
	struct lt_edxml_package *again = NULL;
	assert_int_equal(lt_edxml_reader_finish(r, &again, &err), LT_EINVAL);
	assert_null(again);
	assert_int_equal(lt_edxml_reader_feed(r, bytes, len, &err), LT_EINVAL);
	lt_edxml_reader_free(r);
	lt_edxml_package_free(p);

	/* A failure is sticky; trailing garbage after the root is a defect. */
	assert_int_equal(lt_edxml_reader_new(&r, NULL, &err), LT_OK);
	assert_int_equal(lt_edxml_reader_feed(r, bytes, len, &err), LT_OK);
	assert_int_equal(lt_edxml_reader_feed(r, "<more/>", 7, &err), LT_EINVAL);
	struct lt_err err2 = {0};
	assert_int_equal(lt_edxml_reader_feed(r, "x", 1, &err2), LT_EINVAL);
	assert_string_equal(err.msg, err2.msg);
	assert_int_equal(lt_edxml_reader_finish(r, &p, &err2), LT_EINVAL);
	assert_null(p);
	lt_edxml_reader_free(r);

	/* A package read and extended is still one free. */
	assert_int_equal(lt_edxml_read_mem(bytes, len, NULL, &p, &err), LT_OK);
	for (int i = 0; i < 100; i++)
		assert_non_null(lt_edxml_add_to(p));
	assert_int_equal(p->n_to, 101);
	assert_string_equal(p->to[0].organ_id.text, "000.00.00.G22");
	lt_edxml_package_free(p);
	free(bytes);

	/* System codes are taken only when the caller says so. */
	char *doc =
		minimal_with("ok", "<edXML:ResponseFor><edXML:OrganId>00.22.W00</edXML:OrganId></edXML:ResponseFor>");
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), NULL, &p, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "MessageHeader/ResponseFor[1]/OrganId: 00.22.W00 is not a valid code"));
	struct lt_edxml_read_opts sys = {.code_flags = LT_CODE_SYSTEM};
	assert_int_equal(lt_edxml_read_mem(doc, strlen(doc), &sys, &p, &err), LT_OK);
	lt_edxml_package_free(p);
	free(doc);

	/* Other encodings are converted; the values come out as UTF-8. */
	const char *latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<edXML xmlns=\"" NS
			     "\"><edXMLEnvelope><edXMLHeader><MessageHeader>"
			     "<From><OrganId>000.00.00.H14</OrganId><OrganName>Caf\xe9</OrganName></From>"
			     "<To><OrganId>000.00.00.G22</OrganId></To>"
			     "<DocumentId>000.00.00.H14,2024/02/29,1</DocumentId>"
			     "</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>";
	assert_int_equal(lt_edxml_read_mem(latin1, strlen(latin1), NULL, &p, &err), LT_OK);
	assert_string_equal(p->from.organ_name, "Café");
	lt_edxml_package_free(p);
}

/* Broken encodings are refused with a message and nothing on stderr: the
 * library never prints, and libxml2 reports these on its global channels.
 * The UTF-7 case once crashed inside libxml2 (found by fuzz_edxml). */
static void test_encoding_errors_are_quiet(void **state)
{
	(void)state;
	static const struct {
		const char *doc;
		size_t len;
	} cases[] = {
		{"<?xml version=\"1.0\" encoding=\"UTF-7\"?><\0:UTFL", 45},
		{"<?xml version=\"1.0\" encoding=\"UTF-7\"?><edXML xmlns=\"" NS "\">+AD4-\x80\0</edXML>", 0},
		{"<?xml version=\"1.0\" encoding=\"US-ASCII\"?><edXML xmlns=\"" NS "\"><a>T\xc3\xa9</a></edXML>", 0},
		{"<?xml version=\"1.0\" encoding=\"NOPE-9\"?><edXML/>", 0},
		{"<?xml version=\"1.0\" encoding=\"UTF-8\"?><edXML xmlns=\"" NS "\">\xff\xfe</edXML>", 0},
		{"<?xml version=\"1.0\" encoding=\"UTF-16\"?><edXML/>", 0},
	};
	char dir[64], path[128];
	make_tmpdir(dir);
	snprintf(path, sizeof path, "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	int rcs[sizeof cases / sizeof cases[0]];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].doc);
		struct lt_edxml_package *p = NULL;
		struct lt_err err = {0};
		rcs[i] = lt_edxml_read_mem(cases[i].doc, len, NULL, &p, &err);
		if (rcs[i] == LT_OK || err.msg[0] == '\0')
			rcs[i] = 99;
		lt_edxml_package_free(p);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (rcs[i] != LT_EINVAL)
			fail_msg("case %zu: %d, want a refusal with a message", i, rcs[i]);
	size_t n;
	char *out = slurp(path, &n);
	if (n != 0)
		fail_msg("the reader printed: %s", out);
	free(out);
	rm_rf(dir);
}

int main(void)
{
	xmlMemSetup(xml_free, xml_malloc, xml_realloc, xml_strdup);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_external_entity_is_not_read),
		cmocka_unit_test(test_billion_laughs_is_refused_quickly),
		cmocka_unit_test(test_oversize_input),
		cmocka_unit_test(test_text_depth_and_meta_caps),
		cmocka_unit_test(test_element_names_prefixes_and_long),
		cmocka_unit_test(test_signature_seen_by_reader),
		cmocka_unit_test(test_tree_counts),
		cmocka_unit_test(test_markup_guard),
		cmocka_unit_test(test_markup_guard_in_pieces),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_attachments_to_dir),
		cmocka_unit_test(test_base64_layouts_and_splits),
		cmocka_unit_test(test_base64_groups_every_byte_both_paths),
		cmocka_unit_test(test_base64_groups_match_openssl),
		cmocka_unit_test(test_base64_sizes_layouts_in_reader),
		cmocka_unit_test(test_base64_refusals_in_runs),
		cmocka_unit_test(test_large_attachment_in_bounded_memory),
		cmocka_unit_test(test_zipped_attachment),
		cmocka_unit_test(test_round_trip_edoc),
		cmocka_unit_test(test_round_trip_status),
		cmocka_unit_test(test_round_trip_samples),
		cmocka_unit_test(test_writer_layout),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_docid_and_status_names),
		cmocka_unit_test(test_reader_api_edges),
		cmocka_unit_test(test_encoding_errors_are_quiet),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
