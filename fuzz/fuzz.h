/*
 * fuzz.h - what every libFuzzer harness in fuzz/ shares: the entry points libFuzzer calls,
 * and CHECK, which turns a broken invariant into a crash (with a one-line reason on stderr)
 * so that libFuzzer saves the input and CI fails.
 */
#ifndef QUEUECTL_FUZZ_H
#define QUEUECTL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): the checks must hold in every build, NDEBUG or not. */
#define CHECK(cond, ...)                                                                      \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz check failed: %s: ", #cond);                    \
			fprintf(stderr, __VA_ARGS__);                                         \
			fputc('\n', stderr);                                                  \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* A fixed "now" (2025-11-04T10:30:00Z) so that a harness that needs one is deterministic. */
#define FUZZ_NOW_MS INT64_C(1762252200000)

#endif
