import PageTableModel

// A generic page-table walker in the manner of walk_page_range_novma(): it visits every
// present entry overlapping [start, end) top-down and hands each PUD, PMD and PTE entry
// to the callbacks, which may split it.

/// What the walker does below an entry after its callback (ACTION_SUBTREE / ACTION_CONTINUE).
public enum PageWalkAction: Sendable {
    case descend
    case skipSubtree
}

/// The entry callbacks (pud_entry, pmd_entry, pte_entry). `entry` is the value the
/// walker read; `addr..<next` is the part of the walked range the entry maps.
/// `pteEntries` hands over the PTEs of one table at once; by default it reads each and
/// calls `pteEntry`, and a callback with a batch primitive of the same counts may take
/// the run whole.
public protocol PageWalkCallbacks {
    mutating func pudEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                           _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction
    mutating func pmdEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                           _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction
    mutating func pteEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                           _ addr: UInt64) throws(KernelError)
    mutating func pteEntries(_ pt: PageTable, _ table: TablePage, from i: Int, count: Int,
                             _ addr: UInt64) throws(KernelError)
}

extension PageWalkCallbacks {
    public mutating func pudEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction { .descend }
    public mutating func pmdEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                                  _ addr: UInt64, _ next: UInt64) throws(KernelError) -> PageWalkAction { .descend }
    public mutating func pteEntry(_ pt: PageTable, _ table: TablePage, _ i: Int, _ entry: Descriptor,
                                  _ addr: UInt64) throws(KernelError) {}
    @inlinable public mutating func pteEntries(_ pt: PageTable, _ table: TablePage, from i: Int, count: Int,
                                               _ addr: UInt64) throws(KernelError) {
        var va = addr
        for k in i..<(i + count) {
            try pteEntry(pt, table, k, pt.read(table, k), va)
            va &+= pt.geometry.pageSize
        }
    }
}

// Inlinable so each caller's callbacks are specialised in: the PTE loop then calls
// them directly instead of through protocol witnesses, once per entry.
extension PageTable {
    /// walk_page_range_novma over the kernel map: one descent, stopping at the first error;
    /// EINVAL for a range outside the kernel half. The callbacks see every present entry:
    /// with `presentInvalid` (15bfba1ad77f) that includes invalid leaves keeping
    /// PTE_PRESENT_INVALID, so pXd_leaf() holds for an invalid block.
    @inlinable public func walkPageRange<C: PageWalkCallbacks>(from start: UInt64, to end: UInt64, presentInvalid: Bool = false,
                                                    _ callbacks: inout C) throws(KernelError) {
        try checkRange(from: start, to: end)
        beginWalk()
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, geometry.size(.pgd))
            let pgd = read(root, geometry.index(addr, .pgd))
            if pgd.isValid { try walkLevel(.pud, TablePage(pgd), addr, next, presentInvalid, &callbacks) }
            addr = next
        }
    }

    /// PUD or PMD entries of one table: callback, then descend unless the callback said
    /// not to or the entry is (still) a leaf.
    @inlinable func walkLevel<C: PageWalkCallbacks>(_ level: Level, _ table: TablePage, _ start: UInt64,
                                                 _ end: UInt64, _ presentInvalid: Bool, _ callbacks: inout C) throws(KernelError) {
        if level == .pte { return try walkPTEs(table, start, end, &callbacks) }
        let size = geometry.size(level)
        var addr = start
        while addr < end {
            let next = entryEnd(addr, end, size)
            let i = geometry.index(addr, level)
            var entry = read(table, i)
            if entry.isPresent(presentInvalid: presentInvalid) {
                let action = level == .pud
                    ? try callbacks.pudEntry(self, table, i, entry, addr, next)
                    : try callbacks.pmdEntry(self, table, i, entry, addr, next)
                // A leaf the callback split is now a table: look again.
                if action == .descend && !entry.isTable { entry = read(table, i) }
                if action == .descend && entry.isValid && entry.isTable {
                    try walkLevel(level.next, TablePage(entry), addr, next, presentInvalid, &callbacks)
                }
            }
            addr = next
        }
    }

    @inlinable func walkPTEs<C: PageWalkCallbacks>(_ table: TablePage, _ start: UInt64, _ end: UInt64,
                                                _ callbacks: inout C) throws(KernelError) {
        // One entry per page step from `start` that stays below `end`.
        let count = Int((end &- start &+ geometry.pageSize &- 1) >> UInt64(geometry.pageShift))
        try callbacks.pteEntries(self, table, from: geometry.index(start, .pte), count: count, start)
    }
}
