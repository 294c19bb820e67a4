/* libFuzzer target for the edXML reader. Besides not crashing, it checks what
 * the rest of the system relies on: every refusal says why, and whatever the
 * reader accepts the writer writes back into a package that reads the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/edxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct lt_edxml_read_opts opts = {
	.limits = {.max_bytes = 1 << 20, .max_text = 4096, .max_meta = 256 * 1024, .max_depth = 32},
};

/* What both layouts carry; a status package has no place for an edoc's
 * DocumentId or Subject (§2.8), so those are compared for edocs only. */
static void same_header(const struct lt_edxml_package *a, const struct lt_edxml_package *b)
{
	if (a->kind != b->kind || strcmp(a->from.organ_id.text, b->from.organ_id.text) != 0 || a->n_to != b->n_to ||
	    strcmp(a->status_code, b->status_code) != 0 || a->n_response_for != b->n_response_for)
		abort();
	for (size_t i = 0; i < a->n_to; i++)
		if (strcmp(a->to[i].organ_id.text, b->to[i].organ_id.text) != 0)
			abort();
	for (size_t i = 0; i < a->n_response_for; i++)
		if (strcmp(a->response_for[i].document_id.text, b->response_for[i].document_id.text) != 0)
			abort();
	if (a->kind != LT_EDXML_EDOC)
		return;
	if (strcmp(a->document_id.text, b->document_id.text) != 0 || (a->subject == NULL) != (b->subject == NULL) ||
	    (a->subject && strcmp(a->subject, b->subject) != 0) || a->business.doc_type != b->business.doc_type ||
	    a->n_traces != b->n_traces)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_edxml_package *p = NULL;
	struct lt_err err = {0};
	int rc = lt_edxml_read_mem(data, size, &opts, &p, &err);
	if (rc != LT_OK) {
		if (err.msg[0] == '\0' || p)
			abort();
		return 0;
	}
	if (p->size != size)
		abort();

	/* Attachments have no decoded files here, so only the header goes back. */
	p->n_attachments = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	rc = lt_edxml_write(p, f, &err);
	fclose(f);
	if (rc != LT_OK)
		abort(); /* the reader accepted what the writer refuses */
	struct lt_edxml_package *q = NULL;
	if (lt_edxml_read_mem(buf, len, NULL, &q, &err) != LT_OK)
		abort(); /* the writer wrote what the reader refuses */
	same_header(p, q);
	lt_edxml_package_free(q);
	free(buf);
	lt_edxml_package_free(p);
	return 0;
}
