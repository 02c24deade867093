import PageTableModel

/// How map_mem may map the linear map (spec §5).
public enum MappingMode: String, Sendable, CaseIterable {
    /// BBML2_NOABORT: blocks and contiguous mappings.
    case block
    /// force_pte_mapping(): NO_BLOCK | NO_CONT everywhere but the kernel alias.
    case pte
}

/// Models map_mem(): the linear map of every memory bank, with the kernel image and an
/// early kfence pool carved out and then mapped on their own.
public struct LinearMapBuilder {
    public let layout: MachineLayout
    public let mode: MappingMode
    public let policy: CreateBarrierPolicy
    /// arm64_use_ng_mappings (KPTI): PTE_MAYBE_NG puts nG on every leaf map_mem writes.
    public let ngMappings: Bool

    public init(layout: MachineLayout, mode: MappingMode, policy: CreateBarrierPolicy = .batched,
                ngMappings: Bool = false) {
        self.layout = layout
        self.mode = mode
        self.policy = policy
        self.ngMappings = ngMappings
    }

    // Attributes (which prot each map_mem call passes; the table bits follow from the
    // flags: PXNTable only under NO_EXEC_MAPPINGS). RAM and the early kfence pool get
    // pgprot_tagged(PAGE_KERNEL), the image alias plain PAGE_KERNEL.
    public var ramProt: Descriptor { Prot.kernel(tagged: true, nG: ngMappings) }
    public var aliasProt: Descriptor { Prot.kernel(tagged: false, nG: ngMappings) }
    public var kfenceProt: Descriptor { Prot.kernel(tagged: true, nG: ngMappings) }

    public var flags: MapFlags { mode == .pte ? [.noExec, .noBlock, .noCont] : [.noExec] }

    /// Build the linear map into `pt`.
    public func build(into pt: PageTable) throws(KernelError) {
        let create = CreateMapping(pt, policy: policy)
        for piece in layout.ordinaryPieces {
            try create.map(virt: layout.va(ofPA: piece.start), phys: piece.start, size: piece.size,
                           prot: ramProt, flags: flags)
        }
        let image = layout.kernelImage
        try create.map(virt: layout.va(ofPA: image.start), phys: image.start, size: image.size,
                       prot: aliasProt, flags: .noCont)
        if let pool = layout.kfencePool {
            try create.map(virt: layout.va(ofPA: pool.start), phys: pool.start, size: pool.size,
                           prot: kfenceProt, flags: [.noBlock, .noCont])
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
