#pragma once
/* The options jemalloc_config.c hands jemalloc at start-up. */
extern const char *malloc_conf;
