#pragma once
#include <stddef.h>
#include <stdint.h>

/* Swift has no spelling for non-temporal stores. A split fills a whole new table that
   nothing reads until much later, so its lines can go to memory without first being read
   in (no read-for-ownership), as memset's large-size path does. */

typedef uint64_t splitbench_u64x2 __attribute__((vector_size(16)));

/* dst[k] = first + k * step for k < count; dst 64-byte aligned, count a multiple of 8.
   Same-thread loads see these stores in program order; other threads would need a fence. */
static inline void splitbench_stream_fill(uint64_t *dst, size_t count, uint64_t first, uint64_t step) {
    splitbench_u64x2 v = {first, first + step};
    const splitbench_u64x2 inc = {2 * step, 2 * step};
    for (size_t k = 0; k < count; k += 8) {
        splitbench_u64x2 *line = (splitbench_u64x2 *)(dst + k);
        __builtin_nontemporal_store(v, line);
        __builtin_nontemporal_store(v + inc, line + 1);
        __builtin_nontemporal_store(v + 2 * inc, line + 2);
        __builtin_nontemporal_store(v + 3 * inc, line + 3);
        v += 4 * inc;
    }
}
