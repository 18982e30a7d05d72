/* fuzz_web.c - libFuzzer entry point for fsb_fuzz_web() (targets.h). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fsb_fuzz_web(data, size);
}
