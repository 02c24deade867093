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

/// Barrier policy of the create path.
public enum CreateBarrierPolicy: String, Sendable, CaseIterable {
    /// v6.10+ (Ryan Roberts): PTEs stored with the nosync variant, a barrier per table.
    case batched
    /// Before v6.10: every PTE write emits.
    case perEntry = "per-entry"
}

public struct CreateMapping {
    public let pt: PageTable
    public let policy: CreateBarrierPolicy
    public let kind: AllocationKind
    private var g: Geometry { pt.geometry }

    public init(_ pt: PageTable, policy: CreateBarrierPolicy = .batched, kind: AllocationKind = .kernel) {
        self.pt = pt
        self.policy = policy
        self.kind = kind
    }

    /// Map (or, with `.split`, split) [virt, virt + size) onto phys; EINVAL when the range
    /// leaves the kernel half or passes 2^64.
    public func map(virt: UInt64, phys: UInt64, size: UInt64, prot: Descriptor, flags: MapFlags) throws(KernelError) {
        let (end, wrapped) = virt.addingReportingOverflow(size)
        guard !wrapped else { throw .einval }
        try pt.checkRange(from: virt, to: end)
        pt.beginWalk()
        try walk(.pgd, pt.root, virt, end, phys, prot.asPage, flags)
    }

    private func boundary(_ addr: UInt64, _ end: UInt64, _ size: UInt64) -> UInt64 {
        let next = alignDown(addr, size) &+ size
        return next == 0 || next > end ? end : next
    }

    /// One table's worth of [addr, end) at `level`.
    private func walk(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64,
                      _ prot: Descriptor, _ flags: MapFlags) throws(KernelError) {
        if level == .pte { return try mapPTEs(table, start, end, phys, prot, flags) }
        if level == .pmd && !flags.contains(.noCont) && !flags.contains(.split) {
            return try mapContPMDs(table, start, end, phys, prot, flags)
        }
        if level == .pmd && flags.contains(.split) { try splitContRuns(.pmd, table, start, end, flags) }
        let size = g.size(level)
        var addr = start, pa = phys
        while addr < end {
            let next = boundary(addr, end, size)
            try mapEntry(level, table, addr, next, pa, prot, flags)
            pa &+= next - addr
            addr = next
        }
    }

    /// alloc_init_cont_pmd: CONT on the PMD blocks of every whole, aligned 32 MiB chunk.
    private func mapContPMDs(_ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64,
                             _ prot: Descriptor, _ flags: MapFlags) throws(KernelError) {
        let contSize = g.contSize(.pmd)
        var addr = start, pa = phys
        while addr < end {
            let next = boundary(addr, end, contSize)
            let whole = isAligned(addr | next | pa, contSize)
            var a = addr, p = pa
            while a < next {
                let n = boundary(a, next, g.size(.pmd))
                try mapEntry(.pmd, table, a, n, p, prot, flags, blockCont: whole)
                p &+= n - a
                a = n
            }
            pa &+= next - addr
            addr = next
        }
    }

    /// One PUD/PMD entry covering [addr, next): a block, or a table to descend into.
    private func mapEntry(_ level: Level, _ table: TablePage, _ addr: UInt64, _ next: UInt64, _ pa: UInt64,
                          _ prot: Descriptor, _ flags: MapFlags, blockCont: Bool = false) throws(KernelError) {
        let i = g.index(addr, level)
        let blockOK = g.allowsBlock(level) && !flags.contains(.noBlock)
            && isAligned(addr | next | pa, g.size(level))
        let entry = pt.read(table, i)
        if flags.contains(.split) {
            guard entry.isValid else { return }
            if !entry.isTable {
                if blockOK { return }
                try level == .pud ? pt.splitPUD(table, i, toCont: !flags.contains(.noCont), kind: kind)
                                  : pt.splitPMD(table, i, toCont: !flags.contains(.noCont), kind: kind)
            }
        } else if blockOK && !entry.isTable {
            precondition(!entry.isValid || entry.outputAddress == pa, "remapping a live block needs the SPLIT flag")
            let block = prot.asBlock.setting(blockCont ? Descriptor.cont : 0)
            pt.set(level, table, i, block.with(outputAddress: pa))
            return
        }
        guard let child = pt.tableBelow(level, table, i, kind: kind, pxnTable: flags.contains(.noExec)) else {
            throw .enomem
        }
        try walk(level.next, child, addr, next, pa, prot, flags)
    }

    /// alloc_init_cont_pte + init_pte: CONT on every whole, aligned 64 KiB chunk.
    private func mapPTEs(_ table: TablePage, _ start: UInt64, _ end: UInt64, _ phys: UInt64,
                         _ prot: Descriptor, _ flags: MapFlags) throws(KernelError) {
        if flags.contains(.split) { return try splitContRuns(.pte, table, start, end, flags) }
        let contSize = g.contSize(.pte)
        var addr = start, pa = phys
        while addr < end {
            let next = boundary(addr, end, contSize)
            let cont = !flags.contains(.noCont) && isAligned(addr | next | pa, contSize)
            let first = prot.setting(cont ? Descriptor.cont : 0).with(outputAddress: pa)
            let i = g.index(addr, .pte), count = Int((next - addr) >> UInt64(g.pageShift))
            switch policy {
            case .batched:
                pt.writePTEsNosync(table, from: i, count: count, first: first, step: g.pageSize)
            case .perEntry:
                for k in 0..<count { pt.writePTE(table, i + k, first.with(outputAddress: pa + UInt64(k) * g.pageSize)) }
            }
            pa &+= next - addr
            addr = next
        }
        // v6.10+: the nosync stores of one table visit are published by one barrier.
        if policy == .batched && end > start { pt.emit() }
    }

    /// The SPLIT flag at a CONT level: a CONT group the range does not cover whole (or
    /// that NO_CONT forbids) loses its CONT bit.
    private func splitContRuns(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64,
                               _ flags: MapFlags) throws(KernelError) {
        let contSize = g.contSize(level)
        var addr = start
        while addr < end {
            let next = boundary(addr, end, contSize)
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
