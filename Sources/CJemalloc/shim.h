#pragma once
#include <jemalloc/jemalloc.h>

/* jemalloc's flag macros are function-like; Swift cannot import those. */
static inline int splitbench_mallocx_flags(unsigned arena, unsigned tcache, size_t align) {
    return MALLOCX_ALIGN(align) | MALLOCX_ARENA(arena) | MALLOCX_TCACHE(tcache);
}
static inline int splitbench_dallocx_flags(unsigned arena, unsigned tcache) {
    return MALLOCX_ARENA(arena) | MALLOCX_TCACHE(tcache);
}
