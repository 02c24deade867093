#include "callgrind_bracket.h"

/* Debian's valgrind package ships the header; a machine without it still builds. */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define SPLITBENCH_CALLGRIND 1
#endif
#endif

void splitbench_measure_begin(void) {
#ifdef SPLITBENCH_CALLGRIND
    CALLGRIND_START_INSTRUMENTATION;
#endif
}

void splitbench_measure_end(void) {
#ifdef SPLITBENCH_CALLGRIND
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
}

int splitbench_callgrind_requests_compiled(void) {
#ifdef SPLITBENCH_CALLGRIND
    return 1;
#else
    return 0;
#endif
}
