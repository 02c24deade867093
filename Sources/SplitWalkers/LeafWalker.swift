import PageTableModel
import LinearMap

// W1: split_kernel_leaf_mapping (v6.18, Ryan Roberts): make start and end leaf
// boundaries, one top-down descent per address. The kfence / force_pte_mapping()
// early exit is commit ce2b3a50ad92; `LeafSplitVersion.beforeCE2B3A50AD92` keeps only
// the BBML2 check.

public struct LeafWalker: SplitWalker {
    public let options: WalkerOptions
    public var kind: WalkerKind { .leaf }

    public init(options: WalkerOptions) { self.options = options }

    public func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError) {
        try splitKernelLeafMapping(pt, start, end)
    }

    /// split_kernel_leaf_mapping(start, end).
    public func splitKernelLeafMapping(_ pt: PageTable, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        guard options.context.bbml2 else { return }
        if options.context.leafSplit == .v6_18 {
            if options.context.forcePTEMapping || options.context.kfencePool?.contains(start) == true { return }
        }
        let page = pt.geometry.pageSize
        guard isAligned(start, page) && isAligned(end, page) else { throw .einval }
        try pt.checkRange(from: start, to: end)

        pt.takeSplitLock()
        try pt.inLazyMMU(options.context.lazyMMU) { () throws(KernelError) in
            if end &- start == page {
                // Splitting at the less aligned end makes the other one a boundary too.
                try splitAt(pt, start.trailingZeroBitCount < end.trailingZeroBitCount ? start : end)
            } else {
                try splitAt(pt, start)
                try splitAt(pt, end)
            }
        }
    }

    /// Make `addr` a leaf boundary: each level first asks whether `addr` is already
    /// aligned to it, then reads; an absent entry means nothing is mapped to split.
    func splitAt(_ pt: PageTable, _ addr: UInt64) throws(KernelError) {
        let g = pt.geometry
        pt.beginWalk()
        // PGD (and the folded P4D): always a table.
        if isAligned(addr, g.size(.pgd)) { return }
        let pgd = pt.read(pt.root, g.index(addr, .pgd))
        guard pgd.isValid else { return }

        if isAligned(addr, g.size(.pud)) { return }
        let puds = TablePage(pgd)
        let iPUD = g.index(addr, .pud)
        var pud = pt.read(puds, iPUD)
        guard pud.isValid else { return }
        if !pud.isTable {
            try pt.splitPUD(puds, iPUD, toCont: true, kind: .kernel)
            pud = pt.read(puds, iPUD)
        }

        if isAligned(addr, g.contSize(.pmd)) { return }
        let pmds = TablePage(pud)
        let iPMD = g.index(addr, .pmd)
        var pmd = pt.read(pmds, iPMD)
        guard pmd.isValid else { return }
        if !pmd.isTable {
            if pmd.isCont { pt.splitContPMD(pmds, iPMD) }
            if isAligned(addr, g.size(.pmd)) { return }
            try pt.splitPMD(pmds, iPMD, toCont: true, kind: .kernel)
            pmd = pt.read(pmds, iPMD)
        }

        if isAligned(addr, g.contSize(.pte)) { return }
        let ptes = TablePage(pmd)
        let iPTE = g.index(addr, .pte)
        let pte = pt.read(ptes, iPTE)
        if pte.isValid && pte.isCont { pt.splitContPTE(ptes, iPTE) }
    }
}
