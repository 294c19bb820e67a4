/* The bulk of base64 decoding: runs of whole groups of four plain base64
 * characters, which is nearly all of an attachment's bytes and so most of a
 * package's. Anything else (whitespace, '=', a bad byte) ends the run and is
 * left to the checked, character-at-a-time path in attachments.c, which
 * reports it. With AVX2 (chosen at run time), 32 characters are checked and
 * decoded at once (W. Muła and D. Lemire, "Faster Base64 Encoding and
 * Decoding Using AVX2 Instructions", ACM TOW 2018): the reader decoded one
 * byte per cycle before, about as long as libxml2 takes to parse the text. */
#include <stdatomic.h>

#include "edxml/edxml_impl.h"

/* Each base64 character's value, 0x80 for every other byte, so one OR over a
 * group's four tells whether the whole group is plain base64. */
static const unsigned char b64_val[256] = {
#define X8 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80
	X8,   X8,   X8,   X8, X8,                                                               /* 0x00-0x27 */
	0x80, 0x80, 0x80, 62, 0x80, 0x80, 0x80, 63,                                             /* ( ) * + , - . / */
	52,   53,   54,   55, 56,   57,   58,   59, 60, 61, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, /* 0-9 */
	0x80, 0,    1,    2,  3,    4,    5,    6,  7,  8,  9,    10,   11,   12,   13,   14,   /* @ A-O */
	15,   16,   17,   18, 19,   20,   21,   22, 23, 24, 25,   0x80, 0x80, 0x80, 0x80, 0x80, /* P-Z */
	0x80, 26,   27,   28, 29,   30,   31,   32, 33, 34, 35,   36,   37,   38,   39,   40,   /* ` a-o */
	41,   42,   43,   44, 45,   46,   47,   48, 49, 50, 51,   0x80, 0x80, 0x80, 0x80, 0x80, /* p-z */
	X8,   X8,   X8,   X8, X8,   X8,   X8,   X8, X8, X8, X8,   X8,   X8,   X8,   X8,   X8,   /* 0x80-0xff */
#undef X8
};

static size_t groups_scalar(const unsigned char *in, size_t groups, unsigned char *out)
{
	size_t g = 0;
	for (; g < groups; g++, in += 4, out += 3) {
		unsigned a = b64_val[in[0]], b = b64_val[in[1]], c = b64_val[in[2]], d = b64_val[in[3]];
		if ((a | b | c | d) & 0x80)
			break;
		unsigned v = a << 18 | b << 12 | c << 6 | d;
		out[0] = (unsigned char)(v >> 16);
		out[1] = (unsigned char)(v >> 8);
		out[2] = (unsigned char)v;
	}
	return g;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* 32 characters (eight groups) a step; each step stores 32 bytes of which 24
 * are output, so it runs only while eleven groups' room (33 bytes) is left. */
__attribute__((target("avx2"))) static size_t groups_avx2(const unsigned char *in, size_t groups, unsigned char *out)
{
	const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
						0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
						0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
	const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
						0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
						0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19,
						  4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i mask_2f = _mm256_set1_epi8(0x2f);
	const __m256i pack_bytes = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6,
						    5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i pack_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
	size_t g = 0;
	while (groups - g >= 11) {
		__m256i s = _mm256_loadu_si256((const __m256i *)(const void *)in);
		__m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(s, 4), mask_2f);
		__m256i lo_nib = _mm256_and_si256(s, mask_2f);
		__m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib);
		__m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nib);
		if (!_mm256_testz_si256(lo, hi))
			break; /* not all base64: the scalar loop finds the group */
		__m256i eq_2f = _mm256_cmpeq_epi8(s, mask_2f);
		__m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nib));
		__m256i v = _mm256_add_epi8(s, roll);
		/* Six-bit values -> 12-bit pairs -> 24-bit groups, then packed. */
		v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
		v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
		v = _mm256_shuffle_epi8(v, pack_bytes);
		v = _mm256_permutevar8x32_epi32(v, pack_lanes);
		_mm256_storeu_si256((__m256i *)(void *)out, v);
		in += 32;
		out += 24;
		g += 8;
	}
	return g + groups_scalar(in, groups - g, out);
}

static bool have_avx2(void)
{
	static _Atomic int known; /* 0 unknown, 1 no, 2 yes: racing threads find the same answer */
	int k = atomic_load_explicit(&known, memory_order_relaxed);
	if (!k) {
		__builtin_cpu_init();
		k = __builtin_cpu_supports("avx2") ? 2 : 1;
		atomic_store_explicit(&known, k, memory_order_relaxed);
	}
	return k == 2;
}
#endif

size_t lt__edxml_b64_groups(const unsigned char *in, size_t groups, unsigned char *out, bool simd)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (simd && groups >= 11 && have_avx2())
		return groups_avx2(in, groups, out);
#else
	(void)simd;
#endif
	return groups_scalar(in, groups, out);
}
