#pragma once
#include <jemalloc/jemalloc.h>

/* jemalloc's flag macros are function-like; Swift cannot import those. */
static inline int splitbench_mallocx_flags(unsigned arena, size_t align, int zero) {
    return MALLOCX_ALIGN(align) | MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE | (zero ? MALLOCX_ZERO : 0);
}
static inline int splitbench_dallocx_flags(unsigned arena) {
    return MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
}
