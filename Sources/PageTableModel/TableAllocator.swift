import CJemalloc
import Synchronization

/// GFP flavour of a page-table allocation.
public enum AllocationKind: Int, Sendable, CaseIterable {
    case kernel = 0, atomic = 1
    public var name: String { self == .kernel ? "kernel" : "atomic" }
}

/// When the allocator should pretend memory ran out (ENOMEM injection).
public enum FailurePolicy: Sendable, Equatable {
    case never
    /// The first `n` allocations succeed, every later one fails.
    case after(Int)
    /// Each allocation fails with probability `p`, drawn from `seed`.
    case probability(Double, seed: UInt64)
}

public enum AllocatorError: Error, Equatable, CustomStringConvertible {
    case arenaUnavailable(String)
    public var description: String {
        switch self { case .arenaUnavailable(let why): "jemalloc arena unavailable: \(why)" }
    }
}

/// Page-table pages from a jemalloc arena of their own: tearing a map down is one
/// arena destroy, and the arena's statistics say what the tables hold. A private tcache
/// in front of the arena keeps the arena lock off the per-table path (a map is used by
/// one thread at a time, as an explicit tcache requires).
/// This is the one place table memory is allocated and freed.
public final class TableAllocator {
    public let geometry: Geometry
    public let arena: UInt32
    private let tcache: UInt32
    public var failure: FailurePolicy {
        didSet { if case .probability(_, let seed) = failure { rng = SplitMix64(seed: seed) } }
    }
    /// Counted allocations and frees, indexed [level of the new table][kind].
    public private(set) var allocated = [[Int]](repeating: [0, 0], count: 4)
    public private(set) var freed = [[Int]](repeating: [0, 0], count: 4)
    public private(set) var failedAllocations = 0
    /// Pages freed and not handed out again since. jemalloc reuses those first: resident
    /// but long out of cache, where a never-used page arrives zeroed by its first-touch
    /// fault, in cache. (A host-speed hint for table fills; no count depends on it.)
    public private(set) var recycledPages = 0
    private var rng = SplitMix64(seed: 0)
    private let allocFlags: Int32
    private let freeFlags: Int32

    public init(geometry: Geometry = .fourK, failure: FailurePolicy = .never) throws(AllocatorError) {
        self.geometry = geometry
        var index: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        if let spare = Self.spareArenas.withLock({ $0.popLast() }) {
            index = spare
        } else {
            guard mallctl("arenas.create", &index, &size, nil, 0) == 0 else {
                throw .arenaUnavailable("arenas.create failed")
            }
        }
        arena = index
        var cache: UInt32 = 0
        guard mallctl("tcache.create", &cache, &size, nil, 0) == 0 else {
            Self.spareArenas.withLock { $0.append(index) }
            throw .arenaUnavailable("tcache.create failed")
        }
        tcache = cache
        allocFlags = splitbench_mallocx_flags(index, cache, geometry.tableBytes)
        freeFlags = splitbench_dallocx_flags(index, cache)
        self.failure = failure
        if case .probability(_, let seed) = failure { rng = SplitMix64(seed: seed) }
    }

    /// Arenas emptied and kept for the next map: jemalloc keeps an arena's metadata after
    /// arena.<i>.destroy, so a process that builds many maps would grow by megabytes a map.
    private static let spareArenas = Mutex<[UInt32]>([])

    deinit {
        var cache = tcache
        mallctl("tcache.destroy", nil, nil, &cache, MemoryLayout<UInt32>.size)
        // Every table goes at once, and its pages back to the system.
        mallctl("arena.\(arena).reset", nil, nil, nil, 0)
        mallctl("arena.\(arena).purge", nil, nil, nil, 0)
        Self.spareArenas.withLock { $0.append(arena) }
    }

    /// A table for `level`, not zeroed; nil when the failure policy says ENOMEM.
    public func allocate(_ level: Level, _ kind: AllocationKind) -> TablePage? {
        guard shouldSucceed() else { failedAllocations += 1; return nil }
        guard let raw = mallocx(geometry.tableBytes, allocFlags) else { return nil }
        allocated[level.rawValue][kind.rawValue] += 1
        recycledPages = max(recycledPages - 1, 0)
        return TablePage(base: raw.assumingMemoryBound(to: UInt64.self))
    }

    /// The statically allocated root (swapper_pg_dir): not counted as a table allocation.
    func allocateRoot() -> TablePage {
        let page = TablePage(base: mallocx(geometry.tableBytes, allocFlags)!.assumingMemoryBound(to: UInt64.self))
        page.zero(entries: geometry.entriesPerTable)
        return page
    }

    public func free(_ page: TablePage, _ level: Level, _ kind: AllocationKind) {
        freed[level.rawValue][kind.rawValue] += 1
        recycledPages += 1
        dallocx(UnsafeMutableRawPointer(page.base), freeFlags)
    }

    private func shouldSucceed() -> Bool {
        switch failure {
        case .never: return true
        case .after(let n): return pagesAllocated < n
        case .probability(let p, _): return rng.nextDouble() >= p
        }
    }

    public var pagesAllocated: Int { allocated.joined().reduce(0, +) }
    public var pagesFreed: Int { freed.joined().reduce(0, +) }
    public var pagesLive: Int { pagesAllocated - pagesFreed }
    /// Bytes held by counted tables (the kernel's PageTables figure).
    public var tableBytes: Int { pagesLive * geometry.tableBytes }
    public func allocated(_ level: Level) -> Int { allocated[level.rawValue].reduce(0, +) }
    public func allocated(_ kind: AllocationKind) -> Int { allocated.reduce(0) { $0 + $1[kind.rawValue] } }

    /// What jemalloc itself says the arena holds (includes the uncounted root).
    public var arenaAllocatedBytes: Int {
        var cache = tcache
        mallctl("tcache.flush", nil, nil, &cache, MemoryLayout<UInt32>.size)
        var epoch: UInt64 = 1
        mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size)
        var bytes = 0
        var size = MemoryLayout<Int>.size
        guard mallctl("stats.arenas.\(arena).small.allocated", &bytes, &size, nil, 0) == 0 else { return -1 }
        return bytes
    }
}

/// Deterministic 64-bit PRNG (SplitMix64): every seeded choice in the suite uses it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
