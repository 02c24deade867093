/// The kernel's split helpers (spec §6), shared by every split walker and by the create
/// walker's SPLIT flag. Each keeps the translation of every page unchanged.

/// A kernel error return.
public enum KernelError: Error, Equatable, Sendable {
    case enomem, einval
    /// split_kernel_leaf_mapping refusing a split in a boot window (f12b435de2f2).
    case ebusy
}

extension PageTable {
    /// split_contpte: clear CONT on the 16-entry group holding entry `i`.
    public func splitContPTE(_ table: TablePage, _ i: Int) {
        let n = geometry.contPTEs
        for k in (i & ~(n - 1))..<((i & ~(n - 1)) + n) {
            writePTE(table, k, table[k].clearing(Descriptor.cont))
        }
    }

    /// split_contpmd: clear CONT on the 16-entry PMD group holding entry `i`.
    public func splitContPMD(_ table: TablePage, _ i: Int) {
        let n = geometry.contPMDs
        for k in (i & ~(n - 1))..<((i & ~(n - 1)) + n) {
            setPMD(table, k, table[k].clearing(Descriptor.cont))
        }
    }

    /// split_pmd: replace the PMD block at `i` with a PTE table of the same pages.
    public func splitPMD(_ table: TablePage, _ i: Int, toCont: Bool, kind: AllocationKind,
                         fill: TableFill = .cached) throws(KernelError) {
        try splitBlock(table, i, level: .pmd, toCont: toCont, kind: kind, fill: fill)
    }

    /// split_pud: replace the PUD block at `i` with a PMD table of 2 MiB blocks.
    public func splitPUD(_ table: TablePage, _ i: Int, toCont: Bool, kind: AllocationKind) throws(KernelError) {
        try splitBlock(table, i, level: .pud, toCont: toCont, kind: kind, fill: .cached)
    }

    /// Fill a new (unzeroed) table with the block's pages through the normal writes (as
    /// one batch of 512, counted as 512 writes), one explicit `dsb ishst`, then populate
    /// the parent (which queues).
    private func splitBlock(_ table: TablePage, _ i: Int, level: Level, toCont: Bool, kind: AllocationKind,
                            fill: TableFill) throws(KernelError) {
        let block = table[i]
        // Streaming pays only on a recycled page: a fresh one is in cache after its fault.
        let stores: TableFill = fill == .streamed && allocator.recycledPages > 0 ? .streamed : .cached
        guard let child = allocateTable(level.next, kind) else { throw .enomem }
        var entry = block.clearing(Descriptor.cont)
        entry = level.next == .pte ? entry.asPage : entry.asBlock
        // A present-invalid block (15bfba1ad77f) gives present-invalid children.
        if !block.isValid { entry = entry.setting(Descriptor.presentInvalid).clearing(Descriptor.valid) }
        if toCont { entry = entry.setting(Descriptor.cont) }
        setAll(level.next, child, first: entry.with(outputAddress: block.outputAddress),
               step: geometry.size(level.next), fill: stores)
        dsbIshst()
        populate(level, table, i, child: child, pxnTable: block.raw & Descriptor.pxn != 0)
    }
}
