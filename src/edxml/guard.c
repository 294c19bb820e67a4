/* A byte-level guard in front of libxml2. libxml2 2.9 checks attributes for
 * duplicates in quadratic time (200 000 attributes on one tag cost 25 s of
 * CPU) and buffers a whole tag, comment or processing instruction before any
 * callback sees it, so these are capped here, before the parser gets them.
 * Character data and CDATA pass untouched: libxml2 streams those. */
#include <string.h>

#include "edxml/edxml_impl.h"

enum {
	G_TEXT,    /* character data */
	G_LT,      /* just after '<' */
	G_BANG,    /* "<!" and what follows, until it is known */
	G_TAG,     /* a start or end tag, or a declaration */
	G_QUOTE,   /* an attribute value inside a tag */
	G_COMMENT, /* "<!--" ... "-->" */
	G_PI,      /* "<?" ... "?>" */
	G_CDATA,   /* "<![CDATA[" ... "]]>" */
};

static int too_big(struct lt_edxml_reader *r, const char *what, size_t limit)
{
	return lt__edxml_fail(r, LT_ETOOBIG, "line %lu: %s %zu %s", r->guard.line, what, limit,
			      r->guard.state == G_TAG && r->guard.attrs > LT__EDXML_MAX_ATTRS
				      ? "attributes and namespace declarations"
				      : "bytes");
}

/* The bytes that change a tag's state or the line count. */
static const bool tag_stop[256] = {['"'] = true, ['\''] = true, ['='] = true, ['>'] = true, ['\n'] = true};

/* After "<!": a comment, a CDATA section, or (anything else) a declaration. */
static int bang_state(struct lt__edxml_guard *g)
{
	static const char comment[] = "--", cdata[] = "[CDATA[";
	if (strcmp(g->bang, comment) == 0)
		return G_COMMENT;
	if (strcmp(g->bang, cdata) == 0)
		return G_CDATA;
	if (strncmp(comment, g->bang, g->nbang) == 0 || strncmp(cdata, g->bang, g->nbang) == 0)
		return G_BANG;
	return G_TAG;
}

int lt__edxml_guard_scan(struct lt_edxml_reader *r, const unsigned char *s, size_t len)
{
	struct lt__edxml_guard *g = &r->guard;
	const size_t cap = r->lim.max_text;
	for (size_t i = 0; i < len; i++) {
		if (g->state == G_TEXT || g->state == G_CDATA) {
			/* The bulk of a package (base64) is skipped a run at a time. */
			const unsigned char *stop = memchr(s + i, g->state == G_TEXT ? '<' : '>', len - i);
			size_t end = stop ? (size_t)(stop - s) : len;
			for (const unsigned char *nl = s + i; (nl = memchr(nl, '\n', end - (size_t)(nl - s))); nl++)
				g->line++;
			if (end > i) {
				g->prev2 = end - i >= 2 ? s[end - 2] : g->prev1;
				g->prev1 = s[end - 1];
			}
			if (!stop)
				return LT_OK;
			i = end;
			if (g->state == G_CDATA) {
				if (g->prev1 == ']' && g->prev2 == ']')
					g->state = G_TEXT;
				g->prev2 = g->prev1;
				g->prev1 = '>';
				continue;
			}
			g->state = G_LT;
			g->len = 1;
			g->attrs = 0;
			g->nbang = 0;
			g->bang[0] = '\0';
			continue;
		}
		if (g->state == G_TAG || g->state == G_QUOTE) {
			/* Names and values, most of a tag's bytes, change nothing but
			 * the length: skipped a run at a time up to the next byte that
			 * does (a newline, a quote, '=', '>'). */
			size_t j = i;
			if (g->state == G_TAG)
				while (j < len && !tag_stop[s[j]])
					j++;
			else
				while (j < len && s[j] != g->quote && s[j] != '\n')
					j++;
			if (j > i) {
				g->len += j - i;
				g->prev2 = j - i >= 2 ? s[j - 2] : g->prev1;
				g->prev1 = s[j - 1];
				if (g->len > cap)
					return too_big(r, "a tag is longer than", cap);
				i = j;
				if (i == len)
					return LT_OK;
			}
		}
		unsigned char c = s[i];
		if (c == '\n')
			g->line++;
		g->len++;
		switch (g->state) {
		case G_LT:
			g->state = c == '!' ? G_BANG : c == '?' ? G_PI : G_TAG;
			if (g->state == G_TAG && c == '>')
				g->state = G_TEXT;
			break;
		case G_BANG:
			g->bang[g->nbang++] = (char)c;
			g->bang[g->nbang] = '\0';
			g->state = bang_state(g);
			if (g->state == G_TAG && c == '>')
				g->state = G_TEXT;
			c = 0; /* the "--" that opens a comment does not close it */
			break;
		case G_TAG:
			if (c == '"' || c == '\'') {
				g->quote = c;
				g->state = G_QUOTE;
			} else if (c == '=') {
				if (++g->attrs > LT__EDXML_MAX_ATTRS)
					return too_big(r, "a tag has more than", LT__EDXML_MAX_ATTRS);
			} else if (c == '>') {
				g->state = G_TEXT;
			}
			break;
		case G_QUOTE:
			if (c == g->quote)
				g->state = G_TAG;
			break;
		case G_COMMENT:
			if (c == '>' && g->prev1 == '-' && g->prev2 == '-')
				g->state = G_TEXT;
			break;
		case G_PI:
			if (c == '>' && g->prev1 == '?')
				g->state = G_TEXT;
			break;
		default:
			break;
		}
		g->prev2 = g->prev1;
		g->prev1 = c;
		if (g->state != G_TEXT && g->state != G_CDATA && g->len > cap) {
			if (g->state == G_COMMENT)
				return too_big(r, "a comment is longer than", cap);
			if (g->state == G_PI)
				return too_big(r, "a processing instruction is longer than", cap);
			return too_big(r, "a tag is longer than", cap);
		}
	}
	return LT_OK;
}
