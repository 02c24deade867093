import PageTableModel

// The execmem ROX cache (mm/execmem.c, EXECMEM_ROX_CACHE: execmem_cache_populate,
// __execmem_cache_alloc, execmem_cache_free), which the arm64 RFC of June 2026 would enable
// for module text (spec §12; the RFC itself is not in the corpus). A cache block is one
// PMD_SIZE vmalloc area, made ROX once by set_memory_rox over the whole block; module text
// is carved out of blocks and handed back without touching any page table (execmem fills
// freed space with trapping instructions through text poking). Blocks are kept.
//
// mm/execmem.c maps a block with VM_ALLOW_HUGE_VMAP, which arm64's change_memory_common
// refuses (EINVAL), so the model's block is a base-page area over one PMD-aligned run of
// 512 physical pages: its alias is still changed one page at a time under rodata_full, which
// splits that one 2 MiB block of the linear map to pages — once per cache block.

/// Module-text space served from PMD-sized ROX blocks.
public final class ExecmemCache {
    /// One populated block: its vmalloc area and which of its pages are handed out.
    struct Block {
        let area: VmArea
        var used: [Bool]
    }
    private var blocks: [Block] = []

    public init() {}

    /// Blocks populated so far.
    public var blockCount: Int { blocks.count }

    /// __execmem_cache_alloc: the lowest free run of `pages` pages in a block, or nil when
    /// no block has one (the caller populates a block, then asks again).
    public func allocate(pages: Int) -> UInt64? {
        for b in blocks.indices {
            var run = 0
            for (i, used) in blocks[b].used.enumerated() {
                run = used ? 0 : run + 1
                if run == pages {
                    let first = i + 1 - pages
                    for k in first...i { blocks[b].used[k] = true }
                    return blocks[b].area.addr + UInt64(first) << 12
                }
            }
        }
        return nil
    }

    /// execmem_cache_populate: vmalloc a block over `backing` (one PMD-aligned physical
    /// run), set_memory_rox over all of it, then add it to the free space.
    public func populate(_ perms: Permissions, backing: [UInt64]) throws(KernelError) {
        let area = try perms.vmalloc(backing: backing)
        try perms.setMemoryROX(area.addr, pages: area.pages)
        blocks.append(Block(area: area, used: Array(repeating: false, count: area.pages)))
    }

    /// execmem_cache_free: the pages go back to their block; no page table changes.
    public func free(_ addr: UInt64, pages: Int) {
        guard let b = blocks.firstIndex(where: { $0.area.addr <= addr && addr < $0.area.end }) else { return }
        let first = Int((addr - blocks[b].area.addr) >> 12)
        for k in first..<(first + pages) { blocks[b].used[k] = false }
    }
}
