/// Everything the instrumented primitives count. Only `PageTable`'s primitives and
/// `TableAllocator` change these figures.
public struct Counters: Equatable, Sendable, Codable {
    public var dsbIshst = 0
    public var dsbIsh = 0
    public var isb = 0
    /// `tlbi vaale1is` (last level, by VA, all ASIDs).
    public var tlbiPage = 0
    /// `tlbi rvaale1is` (FEAT_TLBIRANGE).
    public var tlbiRange = 0
    /// `tlbi vmalle1is`.
    public var tlbiAll = 0
    /// `tlbi vale1is, xzr` (REPEAT_TLBI per-sync).
    public var tlbiSyncRepeat = 0
    /// `tlbi vaae1is` (by VA, all levels: a freed table's walk-cache entries).
    public var tlbiPageAllLevels = 0
    /// Descriptor stores per level, kept as plain stored Ints: the primitives add to them
    /// on every store, and an Array there costs a uniqueness and a bounds check each time.
    public var pgdWritten = 0
    public var pudWritten = 0
    public var pmdWritten = 0
    public var pteWritten = 0
    /// Descents from the root.
    public var walks = 0
    /// Entries read by a walker.
    public var entriesVisited = 0
    /// Sleeping locks (pgtable_split_lock) taken in atomic context.
    public var sleepingLockInAtomic = 0
    public var splitLockAcquisitions = 0
    /// Sleeping page-table allocations (GFP_KERNEL / GFP_PGTABLE_KERNEL) attempted in
    /// atomic (softirq) context: a kernel BUG, like a sleeping lock there.
    public var sleepingAllocInAtomic = 0
    /// WARN_ON splats (split_kernel_leaf_mapping's boot windows, update_range_prot's
    /// failed split).
    public var warnings = 0
    /// -EBUSY returns of split_kernel_leaf_mapping in a boot window (f12b435de2f2).
    public var ebusyReturns = 0

    public init() {}

    public var tlbi: Int { tlbiPage + tlbiRange + tlbiAll + tlbiSyncRepeat + tlbiPageAllLevels }
    public var totalEntriesWritten: Int { pgdWritten + pudWritten + pmdWritten + pteWritten }

    /// Descriptor stores per level (pgd, pud, pmd, pte).
    public var entriesWritten: [Int] { [pgdWritten, pudWritten, pmdWritten, pteWritten] }

    /// Counts accumulated since `earlier`.
    public func since(_ earlier: Counters) -> Counters {
        var d = Counters()
        d.dsbIshst = dsbIshst - earlier.dsbIshst
        d.dsbIsh = dsbIsh - earlier.dsbIsh
        d.isb = isb - earlier.isb
        d.tlbiPage = tlbiPage - earlier.tlbiPage
        d.tlbiRange = tlbiRange - earlier.tlbiRange
        d.tlbiAll = tlbiAll - earlier.tlbiAll
        d.tlbiSyncRepeat = tlbiSyncRepeat - earlier.tlbiSyncRepeat
        d.tlbiPageAllLevels = tlbiPageAllLevels - earlier.tlbiPageAllLevels
        d.pgdWritten = pgdWritten - earlier.pgdWritten
        d.pudWritten = pudWritten - earlier.pudWritten
        d.pmdWritten = pmdWritten - earlier.pmdWritten
        d.pteWritten = pteWritten - earlier.pteWritten
        d.walks = walks - earlier.walks
        d.entriesVisited = entriesVisited - earlier.entriesVisited
        d.sleepingLockInAtomic = sleepingLockInAtomic - earlier.sleepingLockInAtomic
        d.splitLockAcquisitions = splitLockAcquisitions - earlier.splitLockAcquisitions
        d.sleepingAllocInAtomic = sleepingAllocInAtomic - earlier.sleepingAllocInAtomic
        d.warnings = warnings - earlier.warnings
        d.ebusyReturns = ebusyReturns - earlier.ebusyReturns
        return d
    }
}
