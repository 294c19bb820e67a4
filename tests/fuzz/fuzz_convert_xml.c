/* libFuzzer target for the converter's XML path (convert_xml.c): any bytes
 * either convert or are refused with a reason, and every closed code met is
 * accounted for. */
#include "convert_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_convert(data, size, LT_CONVERT_XML);
	return 0;
}
