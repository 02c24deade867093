import PageTableModel
import LinearMap

// W4: range_split_to_ptes (v6.18): the generic page walker with three callbacks that
// turn every leaf overlapping the range (straddlers whole) into plain PTEs. Lazy MMU
// mode around the walk is commit 40a292f70147 (v6.18-rc6); before it there was none.

public struct PageWalkWalker: SplitWalker {
    public let options: WalkerOptions
    public var kind: WalkerKind { .pagewalk }

    public init(options: WalkerOptions) { self.options = options }

    public func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError) {
        try rangeSplitToPTEs(pt, start, end, gfp: options.allocation)
    }

    /// range_split_to_ptes(start, end, gfp). No lock: the callers hold it (or run
    /// under stop_machine).
    public func rangeSplitToPTEs(_ pt: PageTable, _ start: UInt64, _ end: UInt64,
                                 gfp: AllocationKind) throws(KernelError) {
        var callbacks = SplitToPTEs(gfp: gfp, fill: options.tableFill)
        try pt.inLazyMMU(options.context.lazyMMU) { () throws(KernelError) in
            try pt.walkPageRange(from: start, to: end, presentInvalid: options.context.presentInvalid, &callbacks)
        }
    }
}

/// The split_to_ptes_{pud,pmd,pte}_entry callbacks.
struct SplitToPTEs: PageWalkCallbacks {
    let gfp: AllocationKind
    let fill: TableFill

    /// A PUD block becomes 2 MiB blocks; the walker then visits those in range.
    func pudEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction {
        if !entry.isTable { try pt.splitPUD(table, i, toCont: false, kind: gfp) }
        return .descend
    }

    /// A PMD block goes straight to plain PTEs, so its new table needs no visit.
    func pmdEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction {
        guard !entry.isTable else { return .descend }
        if entry.isCont { pt.splitContPMD(table, i) }
        try pt.splitPMD(table, i, toCont: false, kind: gfp, fill: fill)
        return .skipSubtree
    }

    func pteEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                  _ addr: UInt64) throws(KernelError) {
        if entry.isCont { pt.splitContPTE(table, i) }
    }
}
