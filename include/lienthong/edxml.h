/* edXML packages (QCVN 102:2016, formats.md §2): a streaming reader that takes
 * packages as real producers write them, attachment decoding in bounded memory,
 * a writer with the exact prefix layout of §2.2, and the content hash. */
#ifndef LIENTHONG_EDXML_H
#define LIENTHONG_EDXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lienthong/code.h"
#include "lienthong/err.h"

#define LT_EDXML_NS "http://www.mic.gov.vn/TBT/QCVN_102_2016"

#define LT_EDXML_DATE_BUFSZ 11 /* YYYY-MM-DD */
#define LT_EDXML_TIME_BUFSZ 20 /* YYYY-MM-DDTHH:MM:SS, the producer's local time */
#define LT_EDXML_DOCID_BUFSZ 256
#define LT_EDXML_SHA256_LEN 32

/* Defaults for a zero field of struct lt_edxml_limits. */
#define LT_EDXML_DEFAULT_MAX_BYTES (100u * 1024 * 1024)
#define LT_EDXML_DEFAULT_MAX_TEXT (64u * 1024)
#define LT_EDXML_DEFAULT_MAX_META (4u * 1024 * 1024)
#define LT_EDXML_DEFAULT_MAX_DEPTH 32u

enum lt_edxml_kind {
	LT_EDXML_EDOC = 1,   /* a document (formats.md §2.3) */
	LT_EDXML_STATUS = 2, /* a status package (§2.8) */
};

/* BussinessDocType (§2.5, §2.9). */
enum lt_edxml_doctype {
	LT_EDXML_NEW = 0,
	LT_EDXML_REVOKE = 1,
	LT_EDXML_UPDATE = 2,
	LT_EDXML_REPLACE = 3,
};

/* Conventions for every struct below. A string field is NULL when its element
 * is absent or empty; a fixed buffer is "" then; a number is -1. Values are
 * trimmed of surrounding whitespace. Dates are normalised to YYYY-MM-DD and
 * timestamps to YYYY-MM-DDTHH:MM:SS whatever form the producer used. */

/* An agency code as written, and parsed (the reader fills both; a caller
 * building a package for the writer fills text). */
struct lt_edxml_organ_id {
	char text[LT_CODE_BUFSZ];
	struct lt_code code;
	bool enterprise; /* text is an enterprise identifier (LT_CODE_ENTERPRISE); code is zero */
};

/* From and To (§2.4 1.1, 1.2). */
struct lt_edxml_organ {
	struct lt_edxml_organ_id organ_id;
	const char *organization_in_charge;
	const char *organ_name;
	const char *organ_add;
	const char *email;
	const char *telephone;
	const char *fax;
	const char *website;
};

/* A DocumentId, `OrganId,yyyy/MM/dd,Number/Notation` (§1.7). text is kept
 * byte for byte because the hub compares identifiers as written; the date is
 * checked for shape only, since real samples carry placeholders such as
 * 2014/02/30. */
struct lt_edxml_docid {
	char text[LT_EDXML_DOCID_BUFSZ];
	struct lt_edxml_organ_id organ_id;
	char date[LT_EDXML_DATE_BUFSZ];
	char code[LT_EDXML_DOCID_BUFSZ]; /* "7816/VPCP-TTĐT" */
};

struct lt_edxml_response_for {
	struct lt_edxml_organ_id organ_id;
	const char *code; /* number/notation in one string */
	char promulgation_date[LT_EDXML_DATE_BUFSZ];
	struct lt_edxml_docid document_id;
};

struct lt_edxml_staff {
	const char *department;
	const char *staff;
	const char *email;
	const char *mobile;
};

struct lt_edxml_trace {
	struct lt_edxml_organ_id organ_id;
	char timestamp[LT_EDXML_TIME_BUFSZ];
};

/* One line of the recipient delta of an update (§2.5 ReceiverList). */
struct lt_edxml_receiver {
	struct lt_edxml_organ_id organ_id;
	int receiver_type; /* 0 removed from the recipients, 1 added */
};

/* Which old document is replaced for which recipients (§2.5, §2.9). */
struct lt_edxml_replacement {
	struct lt_edxml_docid document_id;
	struct lt_edxml_organ_id *organ_ids;
	size_t n_organ_ids;
};

/* TraceHeaderList/Bussiness, read under either spelling, always written as
 * `Bussiness`. */
struct lt_edxml_business {
	bool present;
	struct lt_edxml_docid document_id; /* the document revoked, updated or replaced */
	int doc_type;                      /* enum lt_edxml_doctype */
	const char *doc_reason;
	int paper;
	int document_info;     /* BussinessDocumentInfo/DocumentInfo */
	int document_receiver; /* BussinessDocumentInfo/DocumentReceiver */
	struct lt_edxml_receiver *receivers;
	size_t n_receivers;
	struct lt_edxml_replacement *replacements;
	size_t n_replacements;
	struct lt_edxml_staff staff;
};

/* One attachment: the manifest Reference and the AttachmentEncoded/Attachment
 * joined by ContentId. Metadata comes from the manifest where it has it. */
struct lt_edxml_attachment {
	const char *content_id; /* without any `cid:` prefix or <> */
	const char *name;       /* AttachmentName */
	const char *content_type;
	const char *description;
	/* Reader: the decoded file in attach_dir, or NULL. Writer: the file whose
	 * bytes are embedded. */
	const char *path;
	uint64_t encoded_size;                     /* base64 characters, whitespace not counted */
	uint64_t size;                             /* decoded bytes */
	unsigned char sha256[LT_EDXML_SHA256_LEN]; /* of the decoded bytes; zero under no_attachment_digests */
	size_t seq;                                /* 0-based position among AttachmentEncoded/Attachment */
	bool listed;                               /* a manifest Reference names it */
	bool zipped;                               /* application/zip, a *.zip name or a PK\3\4 payload */
};

struct lt__edxml_pool;

/* A package. Every string and list hangs off the package's own pool and goes
 * with lt_edxml_package_free; free never releases a string on its own, so a
 * caller building a package may also point string fields at storage that
 * outlives the package. Lists grow only through the lt_edxml_add_* calls. */
struct lt_edxml_package {
	enum lt_edxml_kind kind;

	struct lt_edxml_organ from;
	struct lt_edxml_organ *to;
	size_t n_to;
	struct lt_edxml_response_for *response_for;
	size_t n_response_for;

	/* edoc header (§2.4) */
	struct lt_edxml_docid document_id;
	struct {
		const char *number;
		const char *notation;
	} code;
	struct {
		const char *place;
		char date[LT_EDXML_DATE_BUFSZ];
	} promulgation;
	struct {
		int type;
		int type_detail;
		const char *type_name;
	} document_type;
	const char *subject;
	const char *content;
	struct {
		const char *competence;
		const char *position;
		const char *full_name;
	} signer;
	char due_date[LT_EDXML_DATE_BUFSZ];
	const char **to_places;
	size_t n_to_places;
	struct {
		int priority;
		const char *sphere_of_promulgation;
		const char *typer_notation;
		int promulgation_amount;
		int page_amount;
		int direction; /* 0 false, 1 true */
		const char **appendixes;
		size_t n_appendixes;
	} other;
	int steering_type;

	/* TraceHeaderList (§2.5) */
	struct lt_edxml_trace *traces;
	size_t n_traces;
	struct lt_edxml_business business;

	/* status package (§2.8) */
	char status_code[3];
	const char *description;
	char timestamp[LT_EDXML_TIME_BUFSZ];
	struct lt_edxml_staff staff;

	struct lt_edxml_attachment *attachments;
	size_t n_attachments;

	/* Set by the reader: the package's bytes. */
	uint64_t size;
	unsigned char sha256[LT_EDXML_SHA256_LEN];
	/* Set by the reader: edXMLHeader has a signature element among its
	 * children (lt_edxml_is_signature). Nothing else makes a package
	 * signed: not the word in a text, an attribute or the body. */
	bool signature;
	/* Set by the reader: what a tree of the package would hold, for the
	 * memory a verifier that builds one needs (lt_sign_dom_cost). Nodes are
	 * elements, text runs, comments and processing instructions;
	 * attributes count namespace declarations too. */
	uint64_t xml_nodes, xml_attributes;

	struct lt__edxml_pool *pool; /* private */
};

/* ---- building a package ------------------------------------------------- */

/* An empty package of the given kind, every number -1. An edoc starts with a
 * Bussiness block of type LT_EDXML_NEW and Paper 0, as producers write it.
 * NULL when memory runs out. Free with lt_edxml_package_free. */
struct lt_edxml_package *lt_edxml_package_new(enum lt_edxml_kind kind);

/* Frees the package, its strings and lists. NULL is a no-op. Decoded
 * attachment files are the caller's and stay on disk. */
void lt_edxml_package_free(struct lt_edxml_package *p);

/* A copy of s in the package's pool (NULL for NULL), or NULL when memory runs
 * out. */
const char *lt_edxml_strdup(struct lt_edxml_package *p, const char *s);

/* Append one zeroed element (numbers -1) and return it; NULL when memory runs
 * out. The pointer is valid until the next add to the same list. */
struct lt_edxml_organ *lt_edxml_add_to(struct lt_edxml_package *p);
struct lt_edxml_response_for *lt_edxml_add_response_for(struct lt_edxml_package *p);
struct lt_edxml_trace *lt_edxml_add_trace(struct lt_edxml_package *p);
struct lt_edxml_receiver *lt_edxml_add_receiver(struct lt_edxml_package *p);
struct lt_edxml_replacement *lt_edxml_add_replacement(struct lt_edxml_package *p);
struct lt_edxml_organ_id *lt_edxml_add_replacement_organ(struct lt_edxml_package *p, struct lt_edxml_replacement *r);
/* The new attachment gets a random UUID as its ContentId. */
struct lt_edxml_attachment *lt_edxml_add_attachment(struct lt_edxml_package *p);
/* These two copy the text into the pool. */
int lt_edxml_add_to_place(struct lt_edxml_package *p, const char *place);
int lt_edxml_add_appendix(struct lt_edxml_package *p, const char *appendix);

/* Parses an agency code with lt_code_parse(flags) into id. */
int lt_edxml_organ_id_set(struct lt_edxml_organ_id *id, const char *text, unsigned flags, struct lt_err *err);

/* Parses `OrganId,date,Number/Notation` (the date in any form of formats.md
 * §2.10); the organ code with lt_code_parse(flags). */
int lt_edxml_docid_parse(struct lt_edxml_docid *out, const char *text, unsigned flags, struct lt_err *err);

/* Builds the DocumentId of a document from its issuer, promulgation date (any
 * accepted form) and code, as producers do: `000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`. */
int lt_edxml_docid_make(struct lt_edxml_docid *out, const char *organ_id, const char *date, const char *number,
			const char *notation, unsigned flags, struct lt_err *err);

/* The meaning of a business status code (§2.8): "arrived", "refused"...; NULL
 * for anything but 01-06, 13, 15 and 16. */
const char *lt_edxml_status_name(const char *code);

/* ---- reading -------------------------------------------------------------- */

#define LT_XMLDSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* Is an element named `local` in namespace `ns` (NULL: none), found among
 * the children of edXMLHeader, the package's signature? XML-DSig's
 * Signature, or the samples' un-namespaced Signature or DigitalSignature
 * (which may fall into the QCVN namespace). The reader and the verifier both
 * decide by this rule. */
bool lt_edxml_is_signature(const char *local, const char *ns);

/* Caps on what one package may make the reader hold or read; 0 takes the
 * default. Past a cap the reader stops with LT_ETOOBIG. */
struct lt_edxml_limits {
	uint64_t max_bytes; /* the whole package */
	size_t max_text;    /* one text value outside attachment content */
	size_t max_meta;    /* every kept string and list together */
	unsigned max_depth; /* element nesting, at most 256 */
};

/* Where decoded attachment bytes go when the caller stores them itself. seq is
 * the attachment's position among AttachmentEncoded/Attachment elements; end
 * (may be NULL) follows the last write of each. A non-zero return stops the
 * read with that status and err. */
struct lt_edxml_sink {
	int (*write)(void *arg, size_t seq, const void *buf, size_t len, struct lt_err *err);
	int (*end)(void *arg, size_t seq, struct lt_err *err);
	void *arg;
};

/* Zero-initialised options read with the defaults, check every attachment's
 * base64 and hash it, and keep no attachment bytes. */
struct lt_edxml_read_opts {
	struct lt_edxml_limits limits;
	/* Added to LT_CODE_LENIENT for every OrganId (e.g. LT_CODE_SYSTEM). */
	unsigned code_flags;
	/* Decode each attachment to `<dir>/<seq+1>-<AttachmentName>` in this
	 * existing directory: the name made safe, `.zip` added to a zip. On
	 * failure the files are removed. */
	const char *attach_dir;
	/* Or hand the bytes to a sink. Both may be set. */
	const struct lt_edxml_sink *sink;
	/* Leave each attachment's sha256 zero: a caller that only checks the
	 * package (the hub's upload) saves a second SHA-256 pass over most of
	 * its bytes. */
	bool no_attachment_digests;
};

/* A push reader: feed the package in pieces of any size as they arrive (an
 * upload), then finish. It never holds more than the limits allow, whatever
 * the package size. Every defect fails with LT_EINVAL (LT_ETOOBIG past a cap)
 * and a message that starts with the element path, such as
 * "edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId: ...". A failure is
 * sticky: later calls return it again. */
struct lt_edxml_reader;

/* opts may be NULL; it need not outlive the call, but a sink's arg must
 * outlive the reader. Free with lt_edxml_reader_free. */
int lt_edxml_reader_new(struct lt_edxml_reader **out, const struct lt_edxml_read_opts *opts, struct lt_err *err);
int lt_edxml_reader_feed(struct lt_edxml_reader *r, const void *buf, size_t len, struct lt_err *err);
/* Ends the input and runs the checks that need the whole package. On success
 * *out is the caller's (lt_edxml_package_free) and so are the decoded files. */
int lt_edxml_reader_finish(struct lt_edxml_reader *r, struct lt_edxml_package **out, struct lt_err *err);
/* NULL-safe. Removes decoded files of a package that was not finished. */
void lt_edxml_reader_free(struct lt_edxml_reader *r);

/* Whole-input conveniences over the push reader. read_fd reads from the
 * current offset to end of file and does not close fd; a regular file over
 * max_bytes is refused before any byte is read. */
int lt_edxml_read_fd(int fd, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out, struct lt_err *err);
int lt_edxml_read_file(const char *path, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out,
		       struct lt_err *err);
int lt_edxml_read_mem(const void *buf, size_t len, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out,
		      struct lt_err *err);

/* ---- zipped attachments ----------------------------------------------------- */

/* An attachment that is a ZIP archive (§2.7), opened with libzip. Entry names
 * are data, never paths: extract into a descriptor the caller chose. */
struct lt_edxml_zip;

int lt_edxml_zip_open(const char *path, struct lt_edxml_zip **out, struct lt_err *err);
size_t lt_edxml_zip_count(const struct lt_edxml_zip *z);
/* Name (owned by z) and declared size of entry i; LT_ENOTFOUND past the end. */
int lt_edxml_zip_entry(struct lt_edxml_zip *z, size_t i, const char **name, uint64_t *size, struct lt_err *err);
/* Writes entry i to fd. Stops with LT_ETOOBIG once more than max_bytes come
 * out, whatever size the archive declares. */
int lt_edxml_zip_extract(struct lt_edxml_zip *z, size_t i, int fd, uint64_t max_bytes, struct lt_err *err);
void lt_edxml_zip_close(struct lt_edxml_zip *z);

/* ---- writing --------------------------------------------------------------- */

/* Writes p with the prefixes of formats.md §2.2 and the element order of §2.4
 * (edoc) or §2.8 (status): strings and dates always as elements (empty when
 * unset), numbers only when set. Attachment bytes are read from each
 * attachment's path and streamed out as one base64 line. The manifest carries
 * `cid:<id>`, the Attachment the bare id. Refuses (LT_EINVAL) a package the
 * reader would refuse for a missing From, To, DocumentId, StatusCode or
 * attachment file, a bad date, or text XML cannot carry. */
int lt_edxml_write(const struct lt_edxml_package *p, FILE *out, struct lt_err *err);
/* Same, to a descriptor, which stays open. */
int lt_edxml_write_fd(const struct lt_edxml_package *p, int fd, struct lt_err *err);

/* ---- content hash ------------------------------------------------------------ */

/* SHA-256 of everything from fd's current offset to end of file, streamed;
 * *size (may be NULL) gets the byte count. */
int lt_edxml_hash_fd(int fd, unsigned char out[LT_EDXML_SHA256_LEN], uint64_t *size, struct lt_err *err);
int lt_edxml_hash_file(const char *path, unsigned char out[LT_EDXML_SHA256_LEN], uint64_t *size, struct lt_err *err);
/* Lower-case hex of a digest into out (65 bytes); returns out. */
char *lt_edxml_hash_hex(const unsigned char sha[LT_EDXML_SHA256_LEN], char out[65]);

#endif
