import Testing
import PageTableModel
import LinearMap
import SplitWalkers

/// Geometry the expected figures are derived from (spec §1, 4K granule).
enum G {
    static let geometry = Geometry.fourK
    static let page = geometry.pageSize
    static let entries = geometry.entriesPerTable
    static let pmdSize = geometry.size(.pmd)
    static let pudSize = geometry.size(.pud)
    static let contPTEs = geometry.contPTEs
    static let contPMDs = geometry.contPMDs
    static let contPTESize = geometry.contSize(.pte)
    static let contPMDSize = geometry.contSize(.pmd)
    static let gib: UInt64 = 1 << 30
}

/// A 'single' layout with 4 GiB of RAM: GiB 0 holds the kernel image (a PMD table),
/// GiB 1–3 are PUD blocks.
struct Fixture {
    static let memory: UInt64 = 4 << 30
    let layout: MachineLayout
    let pt: PageTable
    /// An identical, untouched map for the oracle.
    let reference: PageTable

    init(earlyKfence: Bool = false) throws {
        layout = try MachineLayout.builtin("single", memory: Self.memory, earlyKfence: earlyKfence)
        pt = try PageTable()
        reference = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        try LinearMapBuilder(layout: layout, mode: .block).build(into: reference)
    }

    var start: UInt64 { layout.linearStart }
    var end: UInt64 { layout.linearEnd }
    /// VA of byte `offset` of the linear map.
    func va(_ offset: UInt64) -> UInt64 { start + offset }

    /// The map still translates every page as before and is well formed.
    func expectUnchangedTranslation(sourceLocation: SourceLocation = #_sourceLocation) {
        let mismatch = pt.firstMismatch(with: reference, from: start, to: end)
        #expect(mismatch == nil, "\(mismatch.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        #expect(pt.verify(linearOffset: layout.linearOffset) == [], sourceLocation: sourceLocation)
    }

    /// Leaves of the whole linear map, as compared between walkers.
    func leaves() -> [LeafKey] { pt.leaves(from: start, to: end).map(LeafKey.init) }

    /// Snapshot of counters to diff against.
    func counters() -> Counters { pt.counters }
}

/// What two maps must agree on, leaf by leaf.
struct LeafKey: Equatable, CustomStringConvertible {
    var va: UInt64, size: UInt64, level: Level, descriptor: Descriptor
    init(_ leaf: Leaf) { va = leaf.va; size = leaf.size; level = leaf.level; descriptor = leaf.descriptor }
    init(va: UInt64, size: UInt64, level: Level, descriptor: Descriptor) {
        self.va = va; self.size = size; self.level = level; self.descriptor = descriptor
    }
    var description: String { "\(level.name) 0x\(String(va, radix: 16)) +0x\(String(size, radix: 16)) \(descriptor)" }
}

/// Tables reachable from the root, the root itself not counted (it is not allocated).
func reachableTables(_ pt: PageTable) -> Int {
    func count(_ table: TablePage, _ level: Level) -> Int {
        guard level != .pte else { return 0 }
        var n = 0
        for i in 0..<pt.geometry.entriesPerTable where table[i].isValid && table[i].isTable {
            n += 1 + count(TablePage(table[i]), level.next)
        }
        return n
    }
    return count(pt.root, .pgd)
}

func options(lazy: Bool = true, flags: MapFlags = [], allocation: AllocationKind = .kernel) -> WalkerOptions {
    var o = WalkerOptions()
    o.context.lazyMMU = lazy
    o.flags = flags
    o.allocation = allocation
    return o
}

/// The first leaf where two leaf lists differ (nil when equal), readable in a failure.
func firstDifference(_ actual: [LeafKey], _ expected: [LeafKey]) -> String? {
    if let (a, e) = zip(actual, expected).first(where: { $0 != $1 }) { return "\(a) vs expected \(e)" }
    return actual.count == expected.count ? nil : "\(actual.count) leaves vs expected \(expected.count)"
}
