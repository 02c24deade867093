import PageTableModel

/// Models __create_pgd_mapping and its level helpers (alloc_init_pud, alloc_init_cont_pmd,
/// init_pmd, alloc_init_cont_pte, init_pte), including the SPLIT flag of Yang Shi's v4
/// series, which re-ran this walker to split existing mappings (spec §5, W3).

public struct MapFlags: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let noBlock = MapFlags(rawValue: 1)
    public static let noCont = MapFlags(rawValue: 2)
    public static let noExec = MapFlags(rawValue: 4)
    /// Split existing leaves instead of creating: the range ends up mapped as finely as
    /// NO_BLOCK / NO_CONT and the range's alignment require.
    public static let split = MapFlags(rawValue: 8)
}

public struct CreateMapping {
    public let pt: PageTable
    public let path: CreatePath
    public let fixmap: Fixmap
    public let kind: AllocationKind
    /// ecda73ae92ca ("Preserve non-contiguous descriptors when mapping DRAM", the overlay
    /// map_mem's series): a CONT group gets CONT only if none of its entries is valid
    /// without it (pte_range_has_valid_noncont / pmd_range_has_valid_noncont; a table
    /// entry counts as one). Before it the bit was set regardless.
    public let keepsNonContGroups: Bool
    /// mark_rodata_ro has run (rodata_is_rw is false): a new root entry goes through
    /// set_swapper_pgd's FIX_PGD alias. arch_add_memory runs with it set, boot's callers without.
    public let rodataReadOnly: Bool
    private var g: Geometry { pt.geometry }

    public init(_ pt: PageTable, path: CreatePath = .current, fixmap: Fixmap = Fixmap(), kind: AllocationKind = .kernel,
                keepsNonContGroups: Bool = false, rodataReadOnly: Bool = false) {
        self.pt = pt
        self.path = path
        self.fixmap = fixmap
        self.kind = kind
        self.keepsNonContGroups = keepsNonContGroups
        self.rodataReadOnly = rodataReadOnly
    }

    /// Map (or, with `.split`, split) [virt, virt + size) onto phys; EINVAL when the range
    /// leaves the kernel half or passes 2^64.
    public func map(virt: UInt64, phys: UInt64, size: UInt64, prot: Descriptor, flags: MapFlags) throws(KernelError) {
        let (end, wrapped) = virt.addingReportingOverflow(size)
        guard !wrapped else { throw .einval }
        try pt.checkRange(from: virt, to: end)
        pt.beginWalk()
        if flags.contains(.split) {
            try splitWalk(.pgd, pt.root, virt, end, phys, flags)
        } else {
            try createPGDs(virt, end, phys, prot.asPage, flags)
        }
    }

    // MARK: Creating (__create_pgd_mapping)

    /// __create_pgd_mapping_locked: one alloc_init_pud per root entry. A new root entry of
    /// swapper_pg_dir is a __p4d_populate, set_swapper_pgd's (`Fixmap.setSwapperPGD`).
    private func createPGDs(_ start: UInt64, _ end: UInt64, _ phys: UInt64, _ prot: Descriptor,
                            _ flags: MapFlags) throws(KernelError) {
        var addr = start, pa = phys
        while addr < end {
            let next = entryEnd(addr, end, g.size(.pgd))
            let i = g.index(addr, .pgd)
            try allocInit(.pud, under: .pgd, pt.root, i, pt.read(pt.root, i), addr, next, pa, prot, flags)
            pa &+= next - addr
            addr = next
        }
    }

    /// alloc_init_pud, alloc_init_cont_pmd or alloc_init_cont_pte: the `level` table that
    /// `parent[i]` points to, allocated, zeroed and populated if absent, reached through
    /// its fixmap slot, and filled over [addr, end).
    private func allocInit(_ level: Level, under parentLevel: Level, _ parent: TablePage, _ i: Int, _ entry: Descriptor,
                           _ addr: UInt64, _ end: UInt64, _ pa: UInt64, _ prot: Descriptor,
                           _ flags: MapFlags) throws(KernelError) {
        let slot = Fixmap.Slot(table: level)
        let table: TablePage
        var mapped = false
        if entry.isValid {
            precondition(entry.isTable, "descending through a block: split it first")
            table = TablePage(entry)
        } else {
            guard let new = pt.allocateTable(level, kind) else { throw .enomem }
            if path.zeroesThroughFillMapping {
                // init_clear_pgtable through the slot the fill then uses.
                fixmap.map(pt, slot, new)
                pt.clearTable(new)
                pt.dsbIshst()
                mapped = true
            } else {
                // early_pgtable_alloc: zeroed through FIX_PTE (free at every level here);
                // the unmap's flush is what orders the zeroing.
                fixmap.map(pt, .pte, new)
                pt.clearTable(new)
                fixmap.unmap(pt, .pte)
            }
            let pxnTable = flags.contains(.noExec)
            if parentLevel == .pgd {
                fixmap.setSwapperPGD(pt, i, pt.tableEntry(new, pxnTable: pxnTable), rodataReadOnly: rodataReadOnly)
            } else {
                pt.populate(parentLevel, parent, i, child: new, pxnTable: pxnTable)
            }
            table = new
        }
        // The PUD table is mapped once per call in every state; before 5c63db59c5f8 the
        // PMD and PTE tables are mapped once per CONT block instead.
        let perCall = path.mapsOncePerCall || level == .pud
        if perCall && !mapped { fixmap.map(pt, slot, table) }
        switch level {
        case .pud: try fillPUDs(table, addr, end, pa, prot, flags)
        case .pmd: try fillPMDs(table, addr, end, pa, prot, flags, mapPerBlock: !perCall)
        case .pte: fillPTEs(table, addr, end, pa, prot, flags, mapPerBlock: !perCall)
        case .pgd: preconditionFailure("the root is never below another table")
        }
        if perCall { fixmap.unmap(pt, slot) }
    }

    private func blockAllowed(_ level: Level, _ addr: UInt64, _ next: UInt64, _ pa: UInt64, _ flags: MapFlags) -> Bool {
        g.allowsBlock(level) && !flags.contains(.noBlock) && isAligned(addr | next | pa, g.size(level))
    }

    /// The CONT decision for the group [addr, next) of `table` at `level`.
    private func contAllowed(_ level: Level, _ table: TablePage, _ addr: UInt64, _ next: UInt64, _ pa: UInt64,
                             _ flags: MapFlags) -> Bool {
        guard !flags.contains(.noCont), isAligned(addr | next | pa, g.contSize(level)) else { return false }
        guard keepsNonContGroups else { return true }
        let first = g.index(addr, level)
        return !(first..<first + g.contCount(level)).contains { i in
            let e = pt.read(table, i)
            return e.isValid && !e.isCont
        }
    }

    /// alloc_init_pud's loop: a 1 GiB block where allowed, else the PMD table below.
    private func fillPUDs(_ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64, _ prot: Descriptor,
                          _ flags: MapFlags) throws(KernelError) {
        var addr = start, pa = phys
        while addr < end {
            let next = entryEnd(addr, end, g.size(.pud))
            let i = g.index(addr, .pud)
            let entry = pt.read(table, i)
            if blockAllowed(.pud, addr, next, pa, flags) && !entry.isTable {
                precondition(!entry.isValid || entry.outputAddress == pa, "remapping a live block needs the SPLIT flag")
                pt.set(.pud, table, i, prot.asBlock.with(outputAddress: pa))
            } else {
                try allocInit(.pmd, under: .pud, table, i, entry, addr, next, pa, prot, flags)
            }
            pa &+= next - addr
            addr = next
        }
    }

    /// alloc_init_cont_pmd + init_pmd: per 32 MiB CONT block (CONT on the blocks of a
    /// whole, aligned one unless NO_CONT), a 2 MiB block where allowed, else the PTE table.
    private func fillPMDs(_ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64, _ prot: Descriptor,
                          _ flags: MapFlags, mapPerBlock: Bool) throws(KernelError) {
        let contSize = g.contSize(.pmd)
        var addr = start, pa = phys
        while addr < end {
            let next = entryEnd(addr, end, contSize)
            let cont = contAllowed(.pmd, table, addr, next, pa, flags)
            if mapPerBlock { fixmap.map(pt, .pmd, table) }
            var a = addr, p = pa
            while a < next {
                let n = entryEnd(a, next, g.size(.pmd))
                let i = g.index(a, .pmd)
                let entry = pt.read(table, i)
                if blockAllowed(.pmd, a, n, p, flags) && !entry.isTable {
                    precondition(!entry.isValid || entry.outputAddress == p, "remapping a live block needs the SPLIT flag")
                    pt.set(.pmd, table, i, prot.asBlock.setting(cont ? Descriptor.cont : 0).with(outputAddress: p))
                } else {
                    try allocInit(.pte, under: .pmd, table, i, entry, a, n, p, prot, flags)
                }
                p &+= n - a
                a = n
            }
            if mapPerBlock { fixmap.unmap(pt, .pmd) }
            pa &+= next - addr
            addr = next
        }
    }

    /// alloc_init_cont_pte + init_pte: per 64 KiB CONT block (CONT on a whole, aligned one
    /// unless NO_CONT), the PTEs: nosync stores from 1fcb7cea8a5f on, published by the
    /// unmap that follows; before it a __set_pte (an emit) each.
    private func fillPTEs(_ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64, _ prot: Descriptor,
                          _ flags: MapFlags, mapPerBlock: Bool) {
        let contSize = g.contSize(.pte)
        var addr = start, pa = phys
        while addr < end {
            let next = entryEnd(addr, end, contSize)
            let cont = contAllowed(.pte, table, addr, next, pa, flags)
            let first = prot.setting(cont ? Descriptor.cont : 0).with(outputAddress: pa)
            let i = g.index(addr, .pte), count = Int((next - addr) >> UInt64(g.pageShift))
            if mapPerBlock { fixmap.map(pt, .pte, table) }
            if path.batchesPTEs {
                pt.writePTEsNosync(table, from: i, count: count, first: first, step: g.pageSize)
            } else {
                for k in 0..<count { pt.writePTE(table, i + k, first.with(outputAddress: pa + UInt64(k) * g.pageSize)) }
            }
            if mapPerBlock { fixmap.unmap(pt, .pte) }
            pa &+= next - addr
            addr = next
        }
    }

    // MARK: Splitting (W3, Yang Shi's v4)

    /// One table's worth of [addr, end) at `level`, in split mode. The split path reached
    /// existing tables through the linear map, not the fixmap.
    private func splitWalk(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64,
                           _ flags: MapFlags) throws(KernelError) {
        if level == .pte { return try splitContRuns(.pte, table, start, end, flags) }
        if level == .pmd { try splitContRuns(.pmd, table, start, end, flags) }
        let size = g.size(level)
        var addr = start, pa = phys
        while addr < end {
            let next = entryEnd(addr, end, size)
            try splitEntry(level, table, addr, next, pa, flags)
            pa &+= next - addr
            addr = next
        }
    }

    /// One PUD/PMD entry covering [addr, next): split a block the flags or the range's
    /// alignment do not allow, then descend.
    private func splitEntry(_ level: Level, _ table: TablePage, _ addr: UInt64, _ next: UInt64, _ pa: UInt64,
                            _ flags: MapFlags) throws(KernelError) {
        let i = g.index(addr, level)
        let blockOK = g.allowsBlock(level) && !flags.contains(.noBlock) && isAligned(addr | next | pa, g.size(level))
        let entry = pt.read(table, i)
        guard entry.isValid else { return }
        if !entry.isTable {
            if blockOK { return }
            try level == .pud ? pt.splitPUD(table, i, toCont: !flags.contains(.noCont), kind: kind)
                              : pt.splitPMD(table, i, toCont: !flags.contains(.noCont), kind: kind)
        }
        guard let child = pt.tableBelow(level, table, i, kind: kind, pxnTable: flags.contains(.noExec)) else {
            throw .enomem
        }
        try splitWalk(level.next, child, addr, next, pa, flags)
    }

    /// The SPLIT flag at a CONT level: a CONT group the range does not cover whole (or
    /// that NO_CONT forbids) loses its CONT bit.
    private func splitContRuns(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64,
                               _ flags: MapFlags) throws(KernelError) {
        let contSize = g.contSize(level)
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, contSize)
            let i = g.index(addr, level)
            let entry = pt.read(table, i)
            // A PMD group whose blocks NO_BLOCK will split cannot keep its CONT bit.
            let keep = !flags.contains(.noCont) && !(level == .pmd && flags.contains(.noBlock))
                && isAligned(addr | next, contSize)
            if entry.isValid && entry.isCont && !entry.isTableAt(level) && !keep {
                level == .pte ? pt.splitContPTE(table, i) : pt.splitContPMD(table, i)
            }
            addr = next
        }
    }
}

extension Descriptor {
    /// A table descriptor (levels 0–2; at level 3 the same bits mean "page").
    @inlinable func isTableAt(_ level: Level) -> Bool { level != .pte && isTable }
}
