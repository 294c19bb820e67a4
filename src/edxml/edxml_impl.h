/* What the files of the edXML module share: the package pool, value parsers,
 * the element table, the reader's state and the attachment decoder. */
#ifndef LT_EDXML_IMPL_H
#define LT_EDXML_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/parser.h>
#include <openssl/evp.h>

#include "lienthong/edxml.h"

/* ---- pool (model.c) -------------------------------------------------------- */

/* Zeroed memory from p's pool; NULL when memory runs out or the pool's cap is
 * reached (lt__edxml_pool_over tells which). */
void *lt__edxml_alloc(struct lt_edxml_package *p, size_t n);
/* Caps the pool at cap bytes (0: no cap). */
void lt__edxml_pool_cap(struct lt_edxml_package *p, size_t cap);
bool lt__edxml_pool_over(const struct lt_edxml_package *p);
/* Appends one zeroed element to *arr (n elements of elem bytes), growing it by
 * doubling inside the pool. Returns the new element or NULL. */
void *lt__edxml_push(struct lt_edxml_package *p, void *arr, size_t *n, size_t elem);

/* ---- values (values.c) ------------------------------------------------------ */

/* Any date form of formats.md §2.10 to YYYY-MM-DD, checked on the calendar. */
int lt__edxml_date(const char *in, char out[LT_EDXML_DATE_BUFSZ], struct lt_err *err);
/* A date, optionally followed by ' ' or 'T' and HH:mm[:ss][.fff], to
 * YYYY-MM-DDTHH:MM:SS. */
int lt__edxml_time(const char *in, char out[LT_EDXML_TIME_BUFSZ], struct lt_err *err);
/* A plain decimal integer in [min, max]; hint names the values when the range
 * is an enumeration. */
int lt__edxml_int(const char *in, long min, long max, const char *hint, int *out, struct lt_err *err);
/* true/false/1/0 to 1/0. */
int lt__edxml_bool(const char *in, int *out, struct lt_err *err);
/* s without a leading `cid:` (any case) or surrounding <>. Returns a pointer
 * into s; the closing > is cut in place. */
char *lt__edxml_strip_cid(char *s);
/* Trims ASCII whitespace in place and returns s. */
char *lt__edxml_trim(char *s);

/* ---- element table (schema.c) ------------------------------------------------ */

enum lt__edxml_ctx {
	X_DOC,
	X_ROOT,
	X_ENV,
	X_HDR,
	X_MSG,
	X_ORGAN,
	X_CODE,
	X_PROM,
	X_DTYPE,
	X_SIGNER,
	X_TOPLACES,
	X_OTHER,
	X_APPXS,
	X_RESP,
	X_STAFF,
	X_TRACES,
	X_TRACE,
	X_BUS,
	X_BINFO,
	X_RCVLIST,
	X_RCV,
	X_REPLLIST,
	X_REPL,
	X_ORGLIST,
	X_BODY,
	X_MANIFEST,
	X_REF,
	X_ATTENC,
	X_ATT,
	X_LEAF,
	X_CONTENT,
	X_SKIP,
};

/* How an element opens: which current object it sets up. */
enum lt__edxml_open {
	O_NONE,
	O_ROOT,
	O_ENV,
	O_HDR,
	O_MSG,
	O_FROM,
	O_TO,
	O_RESP,
	O_STAFF,
	O_TRACES,
	O_TRACE,
	O_BUS,
	O_RCV,
	O_REPL,
	O_BODY,
	O_REF,
	O_ATT,
	O_CONTENT,
};

/* How a leaf's text is checked and stored. */
enum lt__edxml_value {
	V_STR,
	V_ORGAN_ID,
	V_DATE,
	V_TIME,
	V_INT,
	V_BOOL,
	V_DOCID,
	V_STATUS,
	V_CID,
	V_LIST_STR,
	V_LIST_ORGAN,
};

struct lt__edxml_elem {
	unsigned char parent; /* enum lt__edxml_ctx */
	const char *name;
	const char *alt;     /* the `Business` spelling of a `Bussiness` name */
	unsigned char child; /* enum lt__edxml_ctx: X_LEAF for a value */
	unsigned char open;  /* enum lt__edxml_open, for containers */
	unsigned char value; /* enum lt__edxml_value, for leaves */
	bool repeat;         /* may occur more than once: shown as Name[n] */
	size_t offset;       /* of the field in the parent's current object */
	long min, max;       /* for V_INT */
	const char *hint;    /* for V_INT enumerations */
};

extern const struct lt__edxml_elem lt__edxml_elems[];
extern const size_t lt__edxml_nelems;

/* The entry for a child of ctx, or -1. */
int lt__edxml_lookup(int ctx, const char *name);

/* ---- reader state (reader.c) --------------------------------------------------- */

#define LT__EDXML_NAME_MAX 48
#define LT__EDXML_HARD_DEPTH 256
#define LT__EDXML_OUTBUF (48 * 1024)

struct lt__edxml_frame {
	unsigned char ctx; /* what the element's children are read as */
	short elem;        /* table entry, -1 for an unknown element */
	unsigned index;    /* 1-based occurrence, shown for repeatable elements */
	char name[LT__EDXML_NAME_MAX];
};

/* A manifest Reference, kept until the end of the package. */
struct lt__edxml_ref {
	size_t ordinal; /* 1-based, for the path */
	const char *content_id, *content_type, *description, *name;
};

/* An AttachmentEncoded/Attachment and what its content decoded to. */
struct lt__edxml_body {
	size_t seq;
	const char *content_id, *content_type, *description, *name;
	bool has_content;
	bool magic_zip;
	uint64_t encoded, size;
	unsigned char sha256[LT_EDXML_SHA256_LEN];
	const char *path; /* full path of the decoded file, or NULL */
	const char *file; /* its name inside attach_dir (points into path) */
};

/* The base64 decoder of the content being read: fixed memory whatever the
 * attachment size. */
struct lt__edxml_b64 {
	unsigned char quad[4];
	int nq;  /* characters of the current group */
	int pad; /* '=' seen */
	unsigned char head[4];
	size_t nhead; /* first decoded bytes, for the ZIP signature */
	EVP_MD_CTX *sha;
	int fd; /* the .part file, or -1 */
	char part[32];
	size_t out_len;
	unsigned char out[LT__EDXML_OUTBUF];
};

/* The byte-level guard in front of libxml2 (guard.c). */
#define LT__EDXML_MAX_ATTRS 128

struct lt__edxml_guard {
	int state;
	unsigned char quote, prev1, prev2;
	char bang[8];
	size_t nbang;
	size_t len;     /* bytes of the current markup */
	unsigned attrs; /* '=' in the current tag */
	unsigned long line;
};

/* Refuses markup libxml2 would buffer whole or check in quadratic time. */
int lt__edxml_guard_scan(struct lt_edxml_reader *r, const unsigned char *s, size_t len);

struct lt_edxml_reader {
	struct lt_edxml_limits lim;
	unsigned code_flags;
	char *attach_dir;
	int dirfd;
	struct lt_edxml_sink sink;
	bool has_sink;
	bool no_attachment_digests;

	xmlParserCtxtPtr ctxt;
	struct lt_edxml_package *pkg;
	int status;           /* the first failure, sticky */
	bool in_libxml_error; /* inside libxml2's error callback: do not stop it */
	struct lt_err err;
	bool finished, handed_over;
	uint64_t fed;
	EVP_MD_CTX *sha;
	struct lt__edxml_guard guard;

	struct lt__edxml_frame *frames;
	uint16_t *seen; /* per frame, occurrences of each table entry among its children */
	unsigned depth;

	char *text;
	size_t text_len, text_cap;
	bool text_over;
	bool in_text; /* inside a run of character data, counted once in pkg->xml_nodes */

	/* current objects of the open containers */
	struct lt_edxml_organ *cur_organ;
	struct lt_edxml_response_for *cur_resp;
	struct lt_edxml_staff *cur_staff;
	struct lt_edxml_trace *cur_trace;
	struct lt_edxml_receiver *cur_rcv;
	struct lt_edxml_replacement *cur_repl;
	size_t cur_ref, cur_body; /* indexes, since the arrays move */

	unsigned n_root, n_env, n_hdr, n_msg, n_from, n_status;
	char bus_name[LT__EDXML_NAME_MAX];

	struct lt__edxml_ref *refs;
	size_t n_refs;
	struct lt__edxml_body *bodies;
	size_t n_bodies;
	struct lt__edxml_b64 dec;
};

/* Records a failure (the first one wins), stops the parser and returns it.
 * The message is prefixed with the current element path. */
int lt__edxml_fail(struct lt_edxml_reader *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with an explicit path. */
int lt__edxml_fail_at(struct lt_edxml_reader *r, int status, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The current element path (root excluded) into buf. */
char *lt__edxml_path(const struct lt_edxml_reader *r, char *buf, size_t size);

/* ---- leaves and containers (fields.c) ------------------------------------------ */

/* Opens a container element of the table; checks it on close. */
int lt__edxml_open(struct lt_edxml_reader *r, const struct lt__edxml_elem *e);
int lt__edxml_close(struct lt_edxml_reader *r, const struct lt__edxml_elem *e);
/* Stores the trimmed text of a leaf. */
int lt__edxml_leaf(struct lt_edxml_reader *r, const struct lt__edxml_elem *e, char *text);

/* ---- attachments (attachments.c) ------------------------------------------------ */

int lt__edxml_content_begin(struct lt_edxml_reader *r);
/* Decodes up to `groups` groups of four plain base64 characters from `in`
 * into 3 bytes each at `out` (room for 3 * groups), stopping before the first
 * group holding anything else; returns the groups decoded. `simd` allows the
 * AVX2 path where the CPU has it (tests compare both). */
size_t lt__edxml_b64_groups(const unsigned char *in, size_t groups, unsigned char *out, bool simd);
int lt__edxml_content_data(struct lt_edxml_reader *r, const unsigned char *s, size_t len);
int lt__edxml_content_end(struct lt_edxml_reader *r);
/* At the close of an Attachment: names the decoded file. */
int lt__edxml_body_close(struct lt_edxml_reader *r);
/* Joins manifest and bodies into pkg->attachments, checking both sides. */
int lt__edxml_join(struct lt_edxml_reader *r);
/* Removes decoded files (a refused package) and releases decoder state. */
void lt__edxml_bodies_discard(struct lt_edxml_reader *r);
void lt__edxml_dec_release(struct lt_edxml_reader *r);

/* ---- checks over the whole package (check.c) ------------------------------------- */

int lt__edxml_check_message(struct lt_edxml_reader *r);
int lt__edxml_check_business(struct lt_edxml_reader *r);
int lt__edxml_check_document(struct lt_edxml_reader *r);

#endif
