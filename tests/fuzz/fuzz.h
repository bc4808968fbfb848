/*
 * fuzz.h — the contract of a fuzz target: libFuzzer's entry point.  Each
 * fuzz-*.c defines it; it must accept any bytes without crashing, leaking or
 * tripping a sanitizer.  Built with -Dfuzz=true (clang) they are libFuzzer
 * binaries; otherwise they link replay.c and run in the test suite.
 */
#ifndef SOCKHIST_FUZZ_H
#define SOCKHIST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
