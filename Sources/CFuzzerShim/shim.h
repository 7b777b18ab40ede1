#ifndef CFUZZERSHIM_H
#define CFUZZERSHIM_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver entry. Weak, so a plain build (without -sanitize=fuzzer) still links.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*UserCb)(const uint8_t *Data, size_t Size)) __attribute__((weak));

/// True when libFuzzer is linked in.
static inline int cfuzzer_driver_available(void) {
    return LLVMFuzzerRunDriver != NULL;
}

/// Runs libFuzzer with `callback`, or returns -1 when the fuzzer runtime is absent.
static inline int cfuzzer_run_driver(int *argc, char ***argv,
                                     int (*callback)(const uint8_t *, size_t)) {
    if (LLVMFuzzerRunDriver == NULL) {
        return -1;
    }
    return LLVMFuzzerRunDriver(argc, argv, callback);
}

#endif
