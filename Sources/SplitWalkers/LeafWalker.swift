import PageTableModel
import LinearMap

// W1: split_kernel_leaf_mapping (v6.18, Ryan Roberts): make start and end leaf
// boundaries, one top-down descent per address. The kfence / force_pte_mapping()
// early exit is commit ce2b3a50ad92; `LeafSplitVersion.beforeCE2B3A50AD92` keeps only
// the BBML2 check. `LeafSplitVersion.f12b435de2f2` replaces both with the realm fix's
// preconditions: linear_map_requires_bbml2, then the boot windows (WARN, -EBUSY).
// Presence follows pXd_present(), so with present-invalid leaves (15bfba1ad77f) an
// invalid block is split like a valid one.

public struct LeafWalker: SplitWalker {
    public let options: WalkerOptions
    public var kind: WalkerKind { .leaf }

    public init(options: WalkerOptions) { self.options = options }

    public func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError) {
        try splitKernelLeafMapping(pt, start, end)
    }

    /// split_kernel_leaf_mapping(start, end).
    public func splitKernelLeafMapping(_ pt: PageTable, _ start: UInt64, _ end: UInt64) throws(KernelError) {
        let c = options.context
        switch c.leafSplit {
        case .beforeCE2B3A50AD92:
            guard c.bbml2 else { return }
        case .v6_18:
            guard systemSupportsBBML2 else { return }
            if c.forcePTEMapping || c.kfencePool?.contains(start) == true { return }
        case .f12b435de2f2:
            guard c.linearMapRequiresBBML2, c.kfencePool?.contains(start) != true else { return }
            if !systemSupportsBBML2 {
                // A mixed system was repainted to PTEs once the capabilities were final.
                if c.bootPhase.capabilitiesFinal { return }
                // Splitting allocates from the page allocator; an online secondary may
                // lack BBML2 and be broken by a live split.
                if !c.bootPhase.pageAllocatorUp || c.bootPhase.onlineCPUs > 1 {
                    pt.warn()
                    pt.countEBUSY()
                    throw .ebusy
                }
            }
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

    /// system_supports_bbml2_noabort(): the capability's alternative is patched only when
    /// the capabilities are finalized, so before that it is false on every system.
    var systemSupportsBBML2: Bool {
        options.context.bbml2 && options.context.systemBBML2 && options.context.bootPhase.capabilitiesFinal
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
        guard present(pud) else { return }
        if !pud.isTable {
            try pt.splitPUD(puds, iPUD, toCont: true, kind: .kernel)
            pud = pt.read(puds, iPUD)
        }

        if isAligned(addr, g.contSize(.pmd)) { return }
        let pmds = TablePage(pud)
        let iPMD = g.index(addr, .pmd)
        var pmd = pt.read(pmds, iPMD)
        guard present(pmd) else { return }
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
        if present(pte) && pte.isCont { pt.splitContPTE(ptes, iPTE) }
    }

    private func present(_ entry: Descriptor) -> Bool { entry.isPresent(presentInvalid: options.context.presentInvalid) }
}
