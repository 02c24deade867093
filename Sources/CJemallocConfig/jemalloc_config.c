/* jemalloc reads this at start-up (malloc_conf in jemalloc(3)).
   - The 4 KiB size class gets one-page slabs by default, so every table allocation would
     carve a new extent; with 64-page slabs an allocation is a bitmap update, and a map's
     tables sit together.
   - Freed slabs coalesce into one large dirty extent, which jemalloc by default will not
     split for a request 64× smaller (lg_extent_max_active_fit 6): a repaint after a
     restore would then map fresh memory instead of reusing its resident pages. */
const char *malloc_conf = "slab_sizes:4096-4096:64,lg_extent_max_active_fit:40";
