import PageTableModel
import LinearMap

// W2: split_kernel_pgtable_mapping(start, end, flags), Yang Shi's v5 series (superseded):
// one recursive walk over [start, end) that splits only what the range covers partially,
// or what NO_BLOCK / NO_CONT forbid.

public struct RangeWalker: SplitWalker {
    public let options: WalkerOptions
    public var kind: WalkerKind { .range }

    public init(options: WalkerOptions) { self.options = options }

    public func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError) {
        try splitKernelPgtableMapping(pt, start, end)
    }

    /// split_kernel_pgtable_mapping(start, end, flags): GFP_ATOMIC when a flag is set.
    public func splitKernelPgtableMapping(_ pt: PageTable, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        try pt.checkRange(from: start, to: end)
        let walk = RangeSplit(pt: pt, flags: options.flags, presentInvalid: options.context.presentInvalid)
        pt.takeSplitLock()
        try pt.inLazyMMU(options.context.lazyMMU) { () throws(KernelError) in
            pt.beginWalk()
            try walk.entries(.pgd, pt.root, start, end)
        }
    }
}

/// The state of one W2 walk.
private struct RangeSplit {
    let pt: PageTable
    let g: Geometry
    let noBlock: Bool
    let noCont: Bool
    let kind: AllocationKind
    /// 15bfba1ad77f: invalid leaves keeping PTE_PRESENT_INVALID are present.
    let presentInvalid: Bool

    init(pt: PageTable, flags: MapFlags, presentInvalid: Bool) {
        self.presentInvalid = presentInvalid
        self.pt = pt
        g = pt.geometry
        noBlock = flags.contains(.noBlock)
        noCont = flags.contains(.noCont)
        kind = noBlock || noCont ? .atomic : .kernel
    }

    private func present(_ entry: Descriptor) -> Bool { entry.isPresent(presentInvalid: presentInvalid) }

    /// With no flag, nothing under an entry the range covers whole needs splitting.
    private var coveredIsDone: Bool { !noBlock && !noCont }

    /// Where to continue after [addr, next), which is covered whole: past every
    /// following entry the range also covers whole when nothing can force a split there.
    private func skip(_ next: UInt64, _ end: UInt64, _ size: UInt64) -> UInt64 {
        max(next, alignDown(end, size))
    }

    /// The table below `level` over [start, end) (PMD tables start at their CONT level).
    private func descend(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        switch level {
        case .pmd: try contPMDs(table, start, end)
        case .pte: contPTEs(table, start, end)
        default: try entries(level, table, start, end)
        }
    }

    /// PGD/PUD/PMD entries: a block stays if covered whole and blocks are allowed.
    func entries(_ level: Level, _ table: TablePage, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        let size = g.size(level)
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, size)
            let covered = isAligned(addr | next, size)
            if covered && coveredIsDone {
                addr = skip(next, end, size)
                continue
            }
            let i = g.index(addr, level)
            var entry = pt.read(table, i)
            if present(entry) && !entry.isTable {
                if covered && !noBlock {
                    addr = next
                    continue
                }
                try splitBlock(level, table, i)
                entry = pt.read(table, i)
            }
            if entry.isTable { try descend(level.next, TablePage(entry), addr, next) }
            addr = next
        }
    }

    private func splitBlock(_ level: Level, _ table: TablePage, _ i: Int) throws(KernelError) {
        if level == .pud {
            try pt.splitPUD(table, i, toCont: !noCont, kind: kind)
        } else {
            try pt.splitPMD(table, i, toCont: !noCont, kind: kind)
        }
    }

    /// CONT_PMD groups: CONT goes when the group is partly covered, or NO_CONT forbids
    /// it, or NO_BLOCK is about to turn its blocks into tables.
    private func contPMDs(_ table: TablePage, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        let size = g.contSize(.pmd)
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, size)
            if isAligned(addr | next, size) && coveredIsDone {
                addr = skip(next, end, size)
                continue
            }
            let i = g.index(addr, .pmd)
            let entry = pt.read(table, i)
            if present(entry) && !entry.isTable && entry.isCont { pt.splitContPMD(table, i) }
            try entries(.pmd, table, addr, next)
            addr = next
        }
    }

    /// CONT_PTE groups: CONT goes when the group is partly covered or NO_CONT is set.
    private func contPTEs(_ table: TablePage, _ start: UInt64, _ end: UInt64) {
        let size = g.contSize(.pte)
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, size)
            if isAligned(addr | next, size) && !noCont {
                addr = skip(next, end, size)
                continue
            }
            let i = g.index(addr, .pte)
            let entry = pt.read(table, i)
            if present(entry) && entry.isCont { pt.splitContPTE(table, i) }
            addr = next
        }
    }
}
