#pragma once

/* Brackets the measured operation for `bench perfcheck`, which runs bench under
   valgrind --tool=callgrind --instr-atstart=no: only the instructions between begin and
   end are instrumented, so callgrind's Ir total is the operation's alone. Outside valgrind
   each call is the client-request preamble, a few instructions. */
void splitbench_measure_begin(void);
void splitbench_measure_end(void);

/* 1 when valgrind's callgrind.h was found at build time; without it the bracket compiles
   to nothing and perfcheck would count nothing, so it refuses to run. */
int splitbench_callgrind_requests_compiled(void);
