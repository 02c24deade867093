import PageTableModel

/// What one access did.
public enum TLBOutcome: Equatable, Sendable {
    /// Found in level `level` (0 = L1).
    case hit(level: Int)
    /// Missed every level; the walk read `reads` descriptors (1–4).
    case walk(reads: Int)
    /// Missed every level and the walk found no valid leaf, or the address is outside the
    /// kernel half the tables translate.
    case fault
}

/// A simulated data-TLB hierarchy over a simulated page table (spec §8).
///
/// An access looks the levels up in order. A hit in level k refills levels 0..<k with
/// the entry found; a miss everywhere walks the tables (uncounted reads: the table's
/// counters never move) and refills every level. A level holds a translation as the
/// largest size it supports that fits (split on fill), sized from the entry it came
/// from. Levels are not inclusive. A level holds one entry per VA unless a split
/// without TLBI left a stale larger entry beside newer smaller ones; which of those
/// is used then is unspecified (the size hit last is tried first).
/// TLBIs reach the model through `attach(to:)`: `.page`/`.range` are last-level
/// operations, so they drop overlapping TLB entries but leave the walk cache alone;
/// `.all` empties everything.
public final class SimulatedTLB {
    public let configuration: TLBConfiguration
    private let levels: UnsafeMutablePointer<TLBLevel>
    private let levelCount: Int
    private var walkCache: LRUStore
    private let hasWalkCache: Bool
    /// Keeps the walked tables alive.
    private var pageTable: PageTable?
    private var root: TablePage?
    /// The L1 entry touched last: hitting it again changes no LRU order.
    private var mruBase: UInt64 = 1
    private var mruMask: UInt64 = 0
    private var accesses = 0
    private var walks = 0
    private var faults = 0
    /// Refills per level, then walks by reads (1…4).
    private let counts: UnsafeMutablePointer<Int>

    public init(_ configuration: TLBConfiguration) throws(TLBModelError) {
        try configuration.validate()
        self.configuration = configuration
        levelCount = configuration.levels.count
        levels = .allocate(capacity: levelCount)
        for (i, level) in configuration.levels.enumerated() {
            (levels + i).initialize(to: TLBLevel(level))
        }
        let wc = configuration.walkCache
        hasWalkCache = wc != nil
        walkCache = LRUStore(entries: wc?.entries ?? 1, ways: wc?.ways ?? 1)
        counts = .allocate(capacity: levelCount + 4)
        counts.initialize(repeating: 0, count: levelCount + 4)
        batch = .allocate(capacity: Self.batch)
        cursors = .allocate(capacity: Self.batch)
        leaves = .allocate(capacity: Self.batch)
        leafTables = .allocate(capacity: Self.batch)
        depths = .allocate(capacity: Self.batch)
    }

    deinit {
        for i in 0..<levelCount { levels[i].deallocate() }
        levels.deallocate()
        walkCache.deallocate()
        counts.deallocate()
        batch.deallocate()
        cursors.deallocate()
        leaves.deallocate()
        leafTables.deallocate()
        depths.deallocate()
    }

    /// Walk `pt` from now on and receive its TLB maintenance (a table has one
    /// observer: the TLB attached last). Starts empty.
    public func attach(to pt: PageTable) {
        precondition(pt.geometry == .fourK, "the TLB model knows the 4K granule only")
        flush()
        pageTable = pt
        root = pt.root
        pt.tlbObserver = { [weak self] op in self?.invalidate(op) }
    }

    // MARK: Metrics

    public var metrics: TLBMetrics {
        var m = TLBMetrics()
        m.tlbAccesses = accesses
        m.refills = (0..<levelCount).map { counts[$0] }
        m.dtlbWalk = walks
        m.walksByDepth = (0..<4).map { counts[levelCount + $0] }
        m.faults = faults
        return m
    }

    public func resetMetrics() {
        accesses = 0
        walks = 0
        faults = 0
        counts.update(repeating: 0, count: levelCount + 4)
    }

    /// Valid entries in level `level`.
    public func occupancy(level: Int) -> Int {
        (0..<PageSize.allCases.count).reduce(0) { $0 + levels[level].occupancy[$1] }
    }

    // MARK: Accesses

    /// Replays `count` accesses from `trace`.
    @_specialize(where G == UniformTrace)
    @_specialize(where G == SequentialTrace)
    @_specialize(where G == ZipfTrace)
    @_specialize(where G == HotSetTrace)
    @_specialize(where G == MemcachedTrace)
    @_specialize(where G == ReplayTrace)
    public func run<G: TraceGenerator>(_ trace: inout G, count: Int) {
        var done = 0, touchAhead = true
        while done < count {
            let n = min(Self.batch, count - done)
            for k in 0..<n { batch[k] = trace.next() }
            if touchAhead { touchWalks(n) }
            let walksBefore = walks
            if touchAhead {
                for k in 0..<n { _ = access(batch[k], walked: k) }
            } else {
                for k in 0..<n { _ = access(batch[k], walked: -1) }
            }
            touchAhead = walks != walksBefore
            done += n
        }
    }

    /// Addresses drawn ahead of `run`'s accesses. While walks are happening, the walks
    /// of a batch are done first, level by level (uncounted, no TLB state touched):
    /// the loads of one level are independent, so the host's cache misses on a large
    /// map's tables overlap instead of queueing behind each access's own walk. Without
    /// a walk cache, where each walk ended is kept, so an access that misses reads no
    /// descriptor again (the tables cannot change during `run`); with one (the walk
    /// starts below the root), the loads only bring the tables into the host's cache.
    private static let batch = 16
    private let batch: UnsafeMutablePointer<UInt64>
    /// Per batched address, the table descriptor its walk descends through next (0: done).
    private let cursors: UnsafeMutablePointer<UInt64>
    /// Per batched address, the last descriptor its walk read, and without a walk cache
    /// the table descriptor pointing at the table it was read from and the reads (0: not
    /// a kernel-half VA).
    private let leaves: UnsafeMutablePointer<UInt64>
    private let leafTables: UnsafeMutablePointer<UInt64>
    private let depths: UnsafeMutablePointer<Int>

    private func touchWalks(_ n: Int) {
        // As `walk` would: the accesses must not read `depths` no walk filled in.
        guard let root else { preconditionFailure("attach the TLB to a page table first") }
        // One copy per case: the test of `keepEnds` stays out of the loops.
        if hasWalkCache { descend(n, from: root, keepEnds: false) } else { descend(n, from: root, keepEnds: true) }
    }

    @inline(__always) private func descend(_ n: Int, from root: TablePage, keepEnds: Bool) {
        // Locals: stores through the buffers would otherwise reload these per address.
        let batch = batch, cursors = cursors, leaves = leaves, leafTables = leafTables, depths = depths
        let start = Descriptor.table(at: root.address, pxnTable: false).raw
        // Only kernel-half addresses index the tables: a lower one would load an alias.
        for k in 0..<n {
            cursors[k] = VirtualAddress(batch[k]) == nil ? 0 : start
            if keepEnds { depths[k] = 0 }
        }
        for level in 0..<4 {
            for k in 0..<n {
                let table = cursors[k]
                guard table != 0 else { continue }
                let e = TablePage(Descriptor(raw: table))[Int(truncatingIfNeeded: (batch[k] &>> Self.levelShift(level)) & 511)]
                // Stored either way: a last-level load whose value went unused would be dropped.
                leaves[k] = e.raw
                if keepEnds {
                    leafTables[k] = table
                    depths[k] = level &+ 1
                }
                cursors[k] = level < 3 && e.isValid && e.isTable ? e.raw : 0
            }
        }
    }

    /// Translate `va` once.
    @discardableResult
    public func access(_ va: UInt64) -> TLBOutcome { access(va, walked: -1) }

    /// `walked`: the batch slot whose walk `touchWalks` did for `va`, or -1. The MRU
    /// test is inlined into `run`'s loop; the rest of L1 is a call that calls nothing,
    /// so an L1 hit saves no registers for the levels below.
    @inline(__always) private func access(_ va: UInt64, walked k: Int) -> TLBOutcome {
        accesses &+= 1
        if va & mruMask == mruBase { return .hit(level: 0) }
        if hitsL1(va) { return .hit(level: 0) }
        return lookUp(va, walked: k)
    }

    @inline(never) private func hitsL1(_ va: UInt64) -> Bool {
        guard levels[0].find(va) >= 0 else { return false }
        setMRU(va, levels[0].lastHit)
        return true
    }

    /// Below L1, for a VA that missed L1.
    @inline(never) private func lookUp(_ va: UInt64, walked k: Int) -> TLBOutcome {
        for l in 1..<levelCount {
            guard levels[l].find(va) >= 0 else { continue }
            let size = levels[l].lastHit
            for upper in 0..<l { fill(upper, va, translationSize: size) }
            return .hit(level: l)
        }
        guard let (size, reads) = k >= 0 && !hasWalkCache ? walked(k) : walk(va) else {
            faults &+= 1
            return .fault
        }
        walks &+= 1
        counts[levelCount &+ reads &- 1] &+= 1
        for l in 0..<levelCount { fill(l, va, translationSize: size) }
        return .walk(reads: reads)
    }

    @inline(__always) private func fill(_ l: Int, _ va: UInt64, translationSize: Int) {
        let held = levels[l].fill(va, translationSize: translationSize)
        counts[l] &+= 1
        if l == 0 { setMRU(va, held) }
    }

    @inline(__always) private func setMRU(_ va: UInt64, _ size: Int) {
        mruMask = ~((1 &<< TLBLevel.shift(size)) &- 1)
        mruBase = va & mruMask
    }

    // MARK: The walk

    /// Shift of the VA bits that index a table at `level` (4K granule).
    @inline(__always) private static func levelShift(_ level: Int) -> UInt64 { UInt64(39 - 9 * level) }

    @inline(__always) private static func walkCacheKey(_ va: UInt64, _ level: Int) -> (key: UInt64, tag: UInt64) {
        let tag = va >> levelShift(level)
        return (tag << 4 | UInt64(level) << 1 | 1, tag)
    }

    /// `walk` of batch slot `k` from where `touchWalks` left it (no walk cache).
    @inline(__always) private func walked(_ k: Int) -> (size: Int, reads: Int)? {
        let reads = depths[k], e = Descriptor(raw: leaves[k])
        guard reads > 0, e.isValid else { return nil }
        let level = reads &- 1
        let i = Int(truncatingIfNeeded: (batch[k] &>> Self.levelShift(level)) & 511)
        guard let size = translationSize(e, level, TablePage(Descriptor(raw: leafTables[k])), i) else { return nil }
        return (size, reads)
    }

    /// The translation size (a `PageSize` raw value) and descriptors read, nil on a fault.
    private func walk(_ va: UInt64) -> (size: Int, reads: Int)? {
        guard var table = root else { preconditionFailure("attach the TLB to a page table first") }
        // The tables index bits 47:12 alone: a lower-half address would walk its kernel alias.
        guard VirtualAddress(va) != nil else { return nil }
        var level = 0, reads = 0
        if hasWalkCache {
            for l in stride(from: 2, through: 0, by: -1) {
                let (key, tag) = Self.walkCacheKey(va, l)
                let slot = walkCache.find(key, tag: tag)
                if slot >= 0 {
                    walkCache.touch(slot)
                    table = TablePage(Descriptor(raw: walkCache.values[slot]))
                    level = l + 1
                    break
                }
            }
        }
        while true {
            let i = Int(truncatingIfNeeded: (va &>> Self.levelShift(level)) & 511)
            let e = table[i]
            reads &+= 1
            guard e.isValid else { return nil }
            if level < 3 && e.isTable {
                if hasWalkCache {
                    let (key, tag) = Self.walkCacheKey(va, level)
                    walkCache.values[walkCache.insert(key, tag: tag).slot] = e.raw
                }
                table = TablePage(e)
                level &+= 1
                continue
            }
            guard let size = translationSize(e, level, table, i) else { return nil }
            return (size, reads)
        }
    }

    /// The size of the translation a walk ends with: `e`, valid and not a table above
    /// level 3, read at `level` from entry `i` of `table`. Nil for a level-0 block or a
    /// reserved level-3 encoding.
    @inline(__always) private func translationSize(_ e: Descriptor, _ level: Int, _ table: TablePage, _ i: Int) -> Int? {
        switch level {
        case 1: return PageSize.g1.rawValue
        case 2: return (e.isCont && configuration.contCoalescing ? PageSize.m32 : .m2).rawValue
        case 3 where e.isTable:
            if e.isCont && configuration.contCoalescing { return PageSize.k64.rawValue }
            return (configuration.pageCoalescing && Self.coalesces(table, i) ? PageSize.k16 : .k4).rawValue
        default: return nil
        }
    }

    /// Four pages, 16 KiB aligned in VA and PA, consecutive, with equal attributes.
    /// A descriptor is its output address, its type bits and its attributes, and the
    /// first output address is 16 KiB aligned, so page k qualifies exactly when its
    /// raw value is the first's plus k pages (the sum carries out of no field).
    private static func coalesces(_ table: TablePage, _ i: Int) -> Bool {
        let group = i & ~3
        let first = table[group].raw
        guard Descriptor(raw: first).isValid && Descriptor(raw: first).isTable && first & 0x3000 == 0 else { return false }
        return table[group &+ 1].raw == first &+ 0x1000 && table[group &+ 2].raw == first &+ 0x2000
            && table[group &+ 3].raw == first &+ 0x3000
    }

    // MARK: Maintenance

    public func invalidate(_ op: TLBInvalidation) {
        switch op {
        case .all: flush()
        case .page(let va): drop(from: alignDown(va, 4096), to: alignDown(va, 4096) &+ 4096)
        case .pageAllLevels(let va):
            drop(from: alignDown(va, 4096), to: alignDown(va, 4096) &+ 4096)
            // Not last-level only: the walk-cache entries on the VA's path go too.
            guard hasWalkCache else { return }
            for l in 0...2 {
                let (key, tag) = Self.walkCacheKey(va, l)
                let slot = walkCache.find(key, tag: tag)
                if slot >= 0 { walkCache.remove(slot) }
            }
        case .range(let va, let pages): drop(from: alignDown(va, 4096), to: alignDown(va, 4096) &+ pages << 12)
        case .syncRepeat: drop(from: 0, to: 4096)
        }
    }

    /// Empties every level and the walk cache.
    public func flush() {
        for l in 0..<levelCount { levels[l].removeAll() }
        walkCache.removeAll()
        mruBase = 1
        mruMask = 0
    }

    /// Drops the TLB entries overlapping [start, end).
    private func drop(from start: UInt64, to end: UInt64) {
        guard start < end else { return }
        for l in 0..<levelCount { levels[l].drop(from: start, to: end) }
        mruBase = 1
        mruMask = 0
    }
}

/// One TLB level's slots and the sizes they hold.
struct TLBLevel {
    var store: LRUStore
    /// Nibble s: the size held for a translation of size s (0xF: none).
    let held: UInt64
    /// Valid entries per size, and a bit per size with any.
    let occupancy: UnsafeMutablePointer<Int>
    var present: UInt64 = 0
    /// Size of the last hit: probed first.
    var lastHit = 0

    init(_ c: TLBLevelConfiguration) {
        store = LRUStore(entries: c.entries, ways: c.ways)
        var packed: UInt64 = 0
        for s in PageSize.allCases {
            packed |= UInt64(c.held(s)?.rawValue ?? 0xF) << (4 * UInt64(s.rawValue))
        }
        held = packed
        occupancy = .allocate(capacity: PageSize.allCases.count)
        occupancy.initialize(repeating: 0, count: PageSize.allCases.count)
    }

    func deallocate() {
        store.deallocate()
        occupancy.deallocate()
    }

    /// log2 of size `s` (raw `PageSize`): 12, 14, 16, 21, 25, 29, 30. The hot paths use
    /// masking shifts (`&>>`, `&<<`): every amount is below 64, so they skip the overshift test.
    @inline(__always) static func shift(_ s: Int) -> UInt64 { (0x1E1D_1915_100E_0C &>> (8 &* UInt64(truncatingIfNeeded: s))) & 0xFF }
    @inline(__always) static func size(ofKey key: UInt64) -> Int { Int(truncatingIfNeeded: (key >> 1) & 7) }
    /// A key: the entry's base VA, its size and a valid bit (bases are 4 KiB aligned).
    @inline(__always) static func key(_ tag: UInt64, _ s: Int) -> UInt64 { tag &<< shift(s) | UInt64(truncatingIfNeeded: s) &<< 1 | 1 }

    /// The slot covering `va` (LRU updated), or -1; on a hit, `lastHit` is its size.
    /// The size of the level's last hit is tried first, then the others smallest first.
    @inline(__always) mutating func find(_ va: UInt64) -> Int {
        if present & (1 &<< UInt64(truncatingIfNeeded: lastHit)) != 0 {
            let slot = probe(va, lastHit)
            if slot >= 0 { return slot }
        }
        var m = present & ~(1 &<< UInt64(truncatingIfNeeded: lastHit))
        while m != 0 {
            let s = m.trailingZeroBitCount
            m &= m &- 1
            let slot = probe(va, s)
            if slot >= 0 {
                lastHit = s
                return slot
            }
        }
        return -1
    }

    @inline(__always) private mutating func probe(_ va: UInt64, _ s: Int) -> Int {
        let tag = va &>> Self.shift(s)
        let slot = store.find(Self.key(tag, s), tag: tag)
        if slot >= 0 { store.touch(slot) }
        return slot
    }

    /// Adds the entry for `va` from a translation of size `translationSize`; returns the size held.
    @inline(__always) mutating func fill(_ va: UInt64, translationSize: Int) -> Int {
        let s = Int(truncatingIfNeeded: (held &>> (4 &* UInt64(truncatingIfNeeded: translationSize))) & 0xF)
        precondition(s != 0xF, "a validated level holds 4K")
        let tag = va &>> Self.shift(s)
        let evicted = store.insert(Self.key(tag, s), tag: tag).evicted
        let gone = Self.size(ofKey: evicted)
        // Most fills replace an entry of the same size: the counts stand.
        if evicted == 0 || gone != s {
            if evicted != 0 { count(gone, -1) }
            count(s, 1)
        }
        return s
    }

    @inline(__always) private mutating func count(_ s: Int, _ delta: Int) {
        occupancy[s] &+= delta
        let bit: UInt64 = 1 &<< UInt64(truncatingIfNeeded: s)
        if occupancy[s] == 0 { present &= ~bit } else { present |= bit }
    }

    mutating func drop(from start: UInt64, to end: UInt64) {
        for slot in 0..<store.entries {
            let key = store.keys[slot]
            guard key != 0 else { continue }
            let base = key & ~0xFFF, s = Self.size(ofKey: key)
            if base < end && start < base &+ (1 << Self.shift(s)) {
                store.remove(slot)
                count(s, -1)
            }
        }
    }

    mutating func removeAll() {
        store.removeAll()
        occupancy.update(repeating: 0, count: PageSize.allCases.count)
        present = 0
    }
}
