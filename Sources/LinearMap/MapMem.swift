import PageTableModel

/// How map_mem may map the linear map (spec §5).
public enum MappingMode: String, Sendable, CaseIterable {
    /// BBML2_NOABORT: blocks and contiguous mappings.
    case block
    /// force_pte_mapping(): NO_BLOCK | NO_CONT everywhere but the kernel alias.
    case pte
}

/// How much of boot a built map has been through.
public enum BootStage: String, Sendable, CaseIterable {
    /// map_mem alone: the alias is still writable.
    case mapMem = "map-mem"
    /// map_mem, then mark_linear_text_alias_ro (from smp_cpus_done, with any rodata
    /// setting): the alias ends read-only, as on every booted kernel.
    case full
}

/// Models map_mem(): the linear map of every memory bank, with the kernel image and an
/// early kfence pool carved out and then mapped on their own; and the boot step after
/// it that makes the image's linear alias read-only.
public struct LinearMapBuilder {
    public let layout: MachineLayout
    public let mode: MappingMode
    public let path: CreatePath
    /// The machine's TLB flush: the fixmap's unmaps and the alias's flush run it.
    public let flush: TLBFlush
    /// arm64_use_ng_mappings (KPTI): PTE_MAYBE_NG puts nG on every leaf map_mem writes.
    public let ngMappings: Bool

    public init(layout: MachineLayout, mode: MappingMode, path: CreatePath = .current, flush: TLBFlush = TLBFlush(),
                ngMappings: Bool = false) {
        self.layout = layout
        self.mode = mode
        self.path = path
        self.flush = flush
        self.ngMappings = ngMappings
    }

    // Attributes (which prot each map_mem call passes; the table bits follow from the
    // flags: PXNTable only under NO_EXEC_MAPPINGS). RAM and the early kfence pool get
    // pgprot_tagged(PAGE_KERNEL), the image alias plain PAGE_KERNEL.
    public var ramProt: Descriptor { Prot.kernel(tagged: true, nG: ngMappings) }
    public var aliasProt: Descriptor { Prot.kernel(tagged: false, nG: ngMappings) }
    /// mark_linear_text_alias_ro's PAGE_KERNEL_RO: untagged, like the alias, with nG under KPTI.
    public var aliasROProt: Descriptor { Prot.kernelRO.setting(ngMappings ? Descriptor.nG : 0) }

    public var flags: MapFlags { mode == .pte ? [.noExec, .noBlock, .noCont] : [.noExec] }

    private func createMapping(_ pt: PageTable) -> CreateMapping {
        CreateMapping(pt, path: path, fixmap: Fixmap(flush: flush))
    }

    /// map_mem into `pt`.
    public func build(into pt: PageTable) throws(KernelError) {
        let create = createMapping(pt)
        for piece in layout.ordinaryPieces {
            try create.map(virt: layout.va(ofPA: piece.start), phys: piece.start, size: piece.size,
                           prot: ramProt, flags: flags)
        }
        let image = layout.kernelImage
        try create.map(virt: layout.va(ofPA: image.start), phys: image.start, size: image.size,
                       prot: aliasProt, flags: .noCont)
        if let pool = layout.kfencePool {
            try create.map(virt: layout.va(ofPA: pool.start), phys: pool.start, size: pool.size,
                           prot: ramProt, flags: [.noBlock, .noCont])  // the pool is RAM: tagged
        }
    }

    /// mark_linear_text_alias_ro: update_mapping_prot over the alias map_mem mapped
    /// ([_text, __init_begin), the same interval in every version that maps it): the create
    /// path again, with PAGE_KERNEL_RO, NO_CONT and no allocator (every table exists), then
    /// flush_tlb_kernel_range over the alias. The prot is PAGE_KERNEL_RO (`aliasROProt`:
    /// untagged, nG under KPTI), so no count changes with the attributes.
    public func markLinearTextAliasRO(in pt: PageTable) throws(KernelError) {
        let image = layout.kernelImage
        let va = layout.va(ofPA: image.start)
        try createMapping(pt).map(virt: va, phys: image.start, size: image.size, prot: aliasROProt, flags: .noCont)
        flush.flushKernelRange(pt, from: va, to: va + image.size)
    }

    /// The linear map as boot leaves it at `stage`.
    public func boot(into pt: PageTable, through stage: BootStage = .full) throws(KernelError) {
        try build(into: pt)
        if stage == .full { try markLinearTextAliasRO(in: pt) }
    }
}

extension MachineLayout {
    /// The banks less the kernel image and any early kfence pool, in address order: the
    /// memory map_mem maps with the linear map's own flags.
    public var ordinaryPieces: [PhysRange] {
        let holes = ([kernelImage] + (kfencePool.map { [$0] } ?? [])).sorted { $0.start < $1.start }
        var pieces: [PhysRange] = []
        for bank in banks {
            var cursor = bank.start
            for hole in holes where hole.overlaps(bank) {
                if hole.start > cursor { pieces.append(PhysRange(start: cursor, size: hole.start - cursor)) }
                cursor = max(cursor, hole.end)
            }
            if cursor < bank.end { pieces.append(PhysRange(start: cursor, size: bank.end - cursor)) }
        }
        return pieces
    }
}
