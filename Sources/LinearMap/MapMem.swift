import PageTableModel

/// How map_mem may map the linear map (spec §5).
public enum MappingMode: String, Sendable, CaseIterable {
    /// BBML2_NOABORT: blocks and contiguous mappings.
    case block
    /// force_pte_mapping(): NO_BLOCK | NO_CONT everywhere but the kernel alias.
    case pte
}

/// Which map_mem (and boot stages after it) builds the linear map.
public enum MapMemVariant: String, Sendable, CaseIterable {
    /// Up to v7.1: the banks less the kernel image and the early kfence pool, then the
    /// image alias [_text, __init_begin) (NO_CONT), then the pool.
    case classic
    /// Ard Biesheuvel's "Unmap linear alias of kernel data/bss" v7 (May 2026) as arm64
    /// for-next/core took it for v7.2, with the unmap reverted (f102131c842d) and the data/bss
    /// alias made read-only late instead (36fa5ffa6034): the early kfence pool (dfd73e574d38),
    /// [_text, __init_begin) (d672a4b72c95) and [__init_end, __bss_stop) (f2ba877402e5) are
    /// mapped first with the linear map's own flags, then the whole banks, which keep the
    /// tables (a64293e993f6) and non-CONT entries (ecda73ae92ca) already there. The remaps
    /// after map_mem may set CONT (28becb2c1d74).
    case overlay
    /// `overlay`, the data/bss alias made invalid with set_memory_valid from
    /// mark_linear_text_alias_ro instead of read-only: v7's last patch with 53205d56212c,
    /// reverted in June 2026 and re-applied to for-next/mm (fb0f3ef5601a, Aug 2026).
    case overlayUnmap = "overlay-unmap"

    public var mapsImageFirst: Bool { self != .classic }
}

/// How much of boot a built map has been through.
public enum BootStage: String, Sendable, CaseIterable {
    /// map_mem alone: the alias is still writable.
    case mapMem = "map-mem"
    /// map_mem, then mark_linear_text_alias_ro (from smp_cpus_done, with any rodata
    /// setting): the alias ends read-only, as on every booted kernel. The overlay variants
    /// then make the data/bss alias read-only (mark_rodata_ro) or invalid.
    case full
}

/// Models map_mem() (arch/arm64/mm/mmu.c; v6.18 for `classic`, the overlay series for the
/// others): the linear map of every memory bank, with the kernel image and an early kfence
/// pool carved out and mapped on their own, or mapped first; and the boot steps after it
/// that make the image's linear alias read-only.
public struct LinearMapBuilder {
    public let layout: MachineLayout
    public let mode: MappingMode
    public let variant: MapMemVariant
    public let path: CreatePath
    /// The machine's TLB flush: the fixmap's unmaps and the alias's flush run it.
    public let flush: TLBFlush
    /// arm64_use_ng_mappings (KPTI): PTE_MAYBE_NG puts nG on every leaf map_mem writes.
    public let ngMappings: Bool

    public init(layout: MachineLayout, mode: MappingMode, variant: MapMemVariant = .classic, path: CreatePath = .current,
                flush: TLBFlush = TLBFlush(), ngMappings: Bool = false) {
        self.layout = layout
        self.mode = mode
        self.variant = variant
        self.path = path
        self.flush = flush
        self.ngMappings = ngMappings
    }

    // Attributes (which prot each map_mem call passes; the table bits follow from the
    // flags: PXNTable only under NO_EXEC_MAPPINGS). RAM and the early kfence pool get
    // pgprot_tagged(PAGE_KERNEL), the image alias plain PAGE_KERNEL (tagged in the overlay,
    // which maps it as RAM).
    public var ramProt: Descriptor { Prot.kernel(tagged: true, nG: ngMappings) }
    public var aliasProt: Descriptor { Prot.kernel(tagged: variant.mapsImageFirst, nG: ngMappings) }
    /// mark_linear_text_alias_ro's PAGE_KERNEL_RO: untagged, like the alias, with nG under KPTI.
    public var aliasROProt: Descriptor { Prot.kernelRO.setting(ngMappings ? Descriptor.nG : 0) }

    public var flags: MapFlags { mode == .pte ? [.noExec, .noBlock, .noCont] : [.noExec] }

    private func createMapping(_ pt: PageTable) -> CreateMapping {
        CreateMapping(pt, path: path, fixmap: Fixmap(flush: flush), keepsNonContGroups: variant.mapsImageFirst)
    }

    /// map_mem into `pt`.
    public func build(into pt: PageTable) throws(KernelError) {
        variant.mapsImageFirst ? try buildOverlay(into: pt) : try buildClassic(into: pt)
    }

    private func buildClassic(into pt: PageTable) throws(KernelError) {
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

    /// The overlay: what is mapped first keeps its granularity, as the bank pass neither puts
    /// a block over a table nor CONT over a group holding a non-CONT entry.
    private func buildOverlay(into pt: PageTable) throws(KernelError) {
        let create = createMapping(pt)
        // arm64_kfence_map_pool, before map_mem reads force_pte_mapping(); NO_EXEC from v7 on.
        if let pool = layout.kfencePool {
            try map(create, pool, ramProt, [.noBlock, .noCont, .noExec])
        }
        try map(create, layout.kernelImage, aliasProt, flags)
        try map(create, layout.dataAlias, ramProt, flags)
        for bank in layout.banks { try map(create, bank, ramProt, flags) }
    }

    private func map(_ create: CreateMapping, _ r: PhysRange, _ prot: Descriptor, _ flags: MapFlags) throws(KernelError) {
        guard r.size > 0 else { return }
        try create.map(virt: layout.va(ofPA: r.start), phys: r.start, size: r.size, prot: prot, flags: flags)
    }

    /// update_mapping_prot: the create path with no allocator (every table exists), then
    /// flush_tlb_kernel_range. NO_CONT before 28becb2c1d74, no flags after it.
    private func updateMappingProt(_ pt: PageTable, _ r: PhysRange, _ prot: Descriptor) throws(KernelError) {
        guard r.size > 0 else { return }
        let va = layout.va(ofPA: r.start)
        try map(createMapping(pt), r, prot, variant.mapsImageFirst ? [] : .noCont)
        flush.flushKernelRange(pt, from: va, to: va + r.size)
    }

    /// mark_linear_text_alias_ro: update_mapping_prot over the alias map_mem mapped
    /// ([_text, __init_begin), the same interval in every version that maps it) with
    /// PAGE_KERNEL_RO (`aliasROProt`: untagged, nG under KPTI, so no count changes with the
    /// attributes).
    public func markLinearTextAliasRO(in pt: PageTable) throws(KernelError) {
        try updateMappingProt(pt, layout.kernelImage, aliasROProt)
    }

    /// The overlay's mark_rodata_ro step (36fa5ffa6034): update_mapping_prot over
    /// [__init_end, __bss_stop) with PAGE_KERNEL_RO.
    public func markLinearDataAliasRO(in pt: PageTable) throws(KernelError) {
        try updateMappingProt(pt, layout.dataAlias, aliasROProt)
    }

    /// set_memory_valid(addr, pages, enable) as pageattr runs it (it lives above this module).
    public typealias SetMemoryValid = (_ addr: UInt64, _ pages: Int, _ enable: Bool) throws(KernelError) -> Void

    /// The linear map as boot leaves it at `stage`. `setMemoryValid` is what
    /// `overlayUnmap` makes the data/bss alias invalid with; the other variants ignore it.
    public func boot(into pt: PageTable, through stage: BootStage = .full,
                     setMemoryValid: SetMemoryValid? = nil) throws(KernelError) {
        try build(into: pt)
        guard stage == .full else { return }
        try markLinearTextAliasRO(in: pt)
        switch variant {
        case .classic: break
        case .overlay: try markLinearDataAliasRO(in: pt)
        case .overlayUnmap:
            // mark_linear_data_alias_valid(false), from mark_linear_text_alias_ro since
            // 53205d56212c (from map_mem, split_kernel_leaf_mapping WARNed at boot).
            guard let setMemoryValid else { preconditionFailure("the overlay-unmap boot needs pageattr's set_memory_valid") }
            let data = layout.dataAlias
            if data.size > 0 { try setMemoryValid(layout.va(ofPA: data.start), Int(data.size / pt.geometry.pageSize), false) }
        }
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
