import PageTableModel
import SplitWalkers

// vmalloc areas in the same tables as the linear map (mm/vmalloc.c): the area's VA range
// in [VMALLOC_START, VMALLOC_END), its PTEs, the lazy-purge list of freed ranges, and
// vfree's VM_FLUSH_RESET_PERMS path. Every store, barrier, TLBI and table allocation goes
// through `PageTable`'s instrumented primitives.

/// vm_struct flags the permission calls consult.
public struct VmFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// VM_ALLOC: made by vmalloc (the only areas set_memory_* accept).
    public static let alloc = VmFlags(rawValue: 1 << 0)
    /// VM_FLUSH_RESET_PERMS: vfree resets the backing pages' linear aliases.
    public static let flushResetPerms = VmFlags(rawValue: 1 << 1)
    /// VM_ALLOW_HUGE_VMAP: set_memory_* refuse such an area.
    public static let allowHugeVmap = VmFlags(rawValue: 1 << 2)
}

/// One mapped vmalloc area (vm_struct): `backing.count` pages from `addr`, then an unmapped
/// guard page.
public struct VmArea: Sendable, Equatable {
    /// area->addr.
    public let addr: UInt64
    /// page_address() of each backing page, in area order: linear-map VAs.
    public let backing: [UInt64]
    public let flags: VmFlags
    public var pages: Int { backing.count }
    /// area->size: the pages and the guard page.
    public var size: UInt64 { UInt64(pages + 1) << 12 }
    /// The end of the mapped pages.
    public var end: UInt64 { addr + UInt64(pages) << 12 }
}

/// The vmalloc address space of one map: live areas, the lazily freed ranges not yet
/// purged (their TLB entries may still be cached), and where the linear map puts a PA.
public final class VmallocSpace {
    /// PA = linear-map VA + linearOffset (memstart - PAGE_OFFSET, `MachineLayout.linearOffset`).
    public let linearOffset: UInt64
    /// Live areas by address.
    public private(set) var areas: [UInt64: VmArea] = [:]
    /// vmap areas on the purge list, [va_start, va_end) with the guard page, by address.
    public private(set) var lazy: [Range<UInt64>] = []

    public init(linearOffset: UInt64 = 0) { self.linearOffset = linearOffset }

    /// The linear-map VA of a physical page (page_address).
    public func linearVA(ofPA pa: UInt64) -> UInt64 { pa &- linearOffset }

    /// find_vm_area: the live area whose [addr, addr + size) holds `va`.
    public func area(containing va: UInt64) -> VmArea? {
        // Few areas live at once in the modelled workloads: a scan is enough.
        areas.values.first { $0.addr <= va && va < $0.addr &+ $0.size }
    }

    /// alloc_vmap_area: the lowest free range of `size` bytes in the region, skipping live
    /// and lazily freed ranges (a lazy range is reusable only once purged).
    func allocate(size: UInt64) -> UInt64? {
        let busy = (areas.values.map { $0.addr..<($0.addr + $0.size) } + lazy).sorted { $0.lowerBound < $1.lowerBound }
        var candidate = VmallocRange.start
        for r in busy {
            if r.lowerBound >= candidate + size { break }
            candidate = max(candidate, r.upperBound)
        }
        return candidate + size <= VmallocRange.end ? candidate : nil
    }

    func insert(_ area: VmArea) { areas[area.addr] = area }
    func remove(at addr: UInt64) -> VmArea? { areas.removeValue(forKey: addr) }
    func addLazy(_ r: Range<UInt64>) {
        lazy.append(r)
        lazy.sort { $0.lowerBound < $1.lowerBound }
    }
    /// Empties the purge list; its span, or nil when it was empty.
    func takeLazy() -> Range<UInt64>? {
        guard let first = lazy.first, let last = lazy.last else { return nil }
        lazy = []
        return first.lowerBound..<last.upperBound
    }
}

extension Permissions {
    // MARK: vmalloc

    /// __vmalloc_node_range of an area backed by the given linear-map pages (what the page
    /// allocator handed vmalloc), mapped PAGE_KERNEL: missing tables allocated with
    /// GFP_PGTABLE_KERNEL and populated (set_pgd emits, set_pud/set_pmd queue — outside a
    /// lazy section, so they emit too); each PTE table's entries are set_pte_at in one lazy
    /// section (vmap_pages_pte_range). No TLB flush: the range was not mapped.
    /// ENOMEM (nothing mapped is undone, as the kernel's vfree on failure would) or EINVAL
    /// when the region is full or a page is not page-aligned.
    @discardableResult
    public func vmalloc(backing: [UInt64], flags: VmFlags = [.alloc, .flushResetPerms]) throws(KernelError) -> VmArea {
        let page = pt.geometry.pageSize
        guard !backing.isEmpty, backing.allSatisfy({ isAligned($0, page) }),
              let addr = vmalloc.allocate(size: UInt64(backing.count + 1) * page) else { throw .einval }
        let area = VmArea(addr: addr, backing: backing, flags: flags)
        try vmapPages(area)
        vmalloc.insert(area)
        return area
    }

    /// `vmalloc(backing:)` for pages given by physical address (a fixture's prog pack).
    @discardableResult
    public func vmalloc(backingPAs: [UInt64], flags: VmFlags = [.alloc, .flushResetPerms]) throws(KernelError) -> VmArea {
        try vmalloc(backing: backingPAs.map(vmalloc.linearVA(ofPA:)), flags: flags)
    }

    /// vmap_pages_range over the area.
    private func vmapPages(_ area: VmArea) throws(KernelError) {
        let g = pt.geometry
        // PAGE_KERNEL, with PTE_MAYBE_NG's nG under KPTI (descriptor bits only).
        let prot = Prot.kernel.setting(context.ngMappings ? Descriptor.nG : 0)
        pt.beginWalk()
        var k = 0
        while k < area.pages {
            let va = area.addr + UInt64(k) * g.pageSize
            guard let puds = tableAt(.pgd, pt.root, va), let pmds = tableAt(.pud, puds, va),
                  let ptes = tableAt(.pmd, pmds, va) else { throw .enomem }
            let first = g.index(va, .pte)
            let n = min(area.pages - k, g.entriesPerTable - first)
            pt.inLazyMMU(context.lazyMMU) {
                for j in 0..<n {
                    let pa = area.backing[k + j] &+ vmalloc.linearOffset
                    pt.writePTE(ptes, first + j, prot.with(outputAddress: pa))
                }
            }
            k += n
        }
    }

    /// The table under the entry at `level` for `va`, allocated (zeroed by the page
    /// allocator: no barrier) and populated when absent; nil on ENOMEM.
    private func tableAt(_ level: Level, _ table: TablePage, _ va: UInt64) -> TablePage? {
        let i = pt.geometry.index(va, level)
        let entry = pt.read(table, i)
        if entry.isValid { return TablePage(entry) }
        guard let child = pt.allocateZeroedTable(level.next, .kernel) else { return nil }
        pt.populate(level, table, i, child: child, pxnTable: false)
        return child
    }

    // MARK: vfree

    /// vfree: remove_vm_area unmaps the area without a flush (vunmap_range_noflush: each
    /// PTE cleared, no barrier) and puts its range on the lazy-purge list; then, for a
    /// VM_FLUSH_RESET_PERMS area, vm_reset_perms. EINVAL (the kernel WARNs) when no area
    /// starts at `addr`. The page tables stay, as in the kernel.
    public func vfree(_ addr: UInt64) throws(KernelError) {
        guard let area = vmalloc.remove(at: addr) else { throw .einval }
        vunmap(area)
        vmalloc.addLazy(area.addr..<(area.addr + area.size))
        if area.flags.contains(.flushResetPerms) { vmResetPerms(area) }
    }

    private func vunmap(_ area: VmArea) {
        let g = pt.geometry
        pt.beginWalk()
        var va = area.addr
        while va < area.end {
            let pmdEnd = min(alignDown(va, g.size(.pmd)) + g.size(.pmd), area.end)
            let pgd = pt.read(pt.root, g.index(va, .pgd))
            if pgd.isValid {
                let pud = pt.read(TablePage(pgd), g.index(va, .pud))
                if pud.isValid {
                    let pmd = pt.read(TablePage(pud), g.index(va, .pmd))
                    if pmd.isValid {
                        let ptes = TablePage(pmd)
                        for p in stride(from: va, to: pmdEnd, by: Int(g.pageSize)) {
                            _ = pt.read(ptes, g.index(p, .pte))
                            pt.writePTE(ptes, g.index(p, .pte), .zero)
                        }
                    }
                }
            }
            va = pmdEnd
        }
    }

    /// vm_reset_perms: every backing page's alias made invalid (no flush), one
    /// _vm_unmap_aliases over [lowest, highest backing page + 4K) that must flush, then every
    /// alias back to the default (no flush). Errors of the per-page calls are ignored, as
    /// set_area_direct_map ignores them.
    private func vmResetPerms(_ area: VmArea) {
        let page = pt.geometry.pageSize
        let start = area.backing.min() ?? .max
        let end = area.backing.max().map { $0 + page } ?? 0
        for alias in area.backing { try? setDirectMapInvalidNoflush(alias) }
        vmUnmapAliases(from: start, to: end, flush: !area.backing.isEmpty)
        for alias in area.backing { try? setDirectMapDefaultNoflush(alias) }
    }

    /// vm_unmap_aliases: purge the lazily freed areas.
    public func vmUnmapAliases() {
        vmUnmapAliases(from: .max, to: 0, flush: false)
    }

    /// _vm_unmap_aliases(start, end, flush): when the purge list holds areas, one
    /// flush_tlb_kernel_range from min(start, lowest area) to max(end, highest area end) —
    /// with a backing linear address below and an area above, that spans the linear map's
    /// top and the vmalloc region's bottom, so flush_tlb_all; otherwise, when `flush`, one
    /// over [start, end). (No per-CPU vmap blocks are modelled: vm_map_ram is not used.)
    public func vmUnmapAliases(from start: UInt64, to end: UInt64, flush: Bool) {
        if let purged = vmalloc.takeLazy() {
            self.flush.flushKernelRange(pt, from: min(start, purged.lowerBound), to: max(end, purged.upperBound))
        } else if flush {
            self.flush.flushKernelRange(pt, from: start, to: end)
        }
    }
}
