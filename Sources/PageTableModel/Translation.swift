/// The translation oracle: what a VA maps to, independent of how the tree is shaped.

/// A leaf entry and the VA range it maps.
public struct Leaf: Equatable, Sendable {
    public var va: UInt64
    public var size: UInt64
    public var level: Level
    public var descriptor: Descriptor
    /// PXN/UXN inherited from PXNTable/UXNTable on the way down.
    public var inherited: UInt64

    public var end: UInt64 { va &+ size }
    public var pa: UInt64 { descriptor.outputAddress }
    /// Permissions and memory attributes in force, whatever the leaf's size or CONT hint.
    public var effectiveAttributes: UInt64 { (descriptor.attributes & ~Descriptor.cont) | inherited }
}

/// What one VA translates to.
public struct Translation: Equatable, Sendable {
    public var pa: UInt64
    public var leafSize: UInt64
    public var level: Level
    public var attributes: UInt64
    public var cont: Bool
}

extension PageTable {
    /// Translate `va` by walking the tables (uncounted); nil outside the kernel half.
    public func translate(_ va: UInt64) -> Translation? {
        VirtualAddress(va).flatMap(translate)
    }

    /// Translate `address` by walking the tables (uncounted).
    public func translate(_ address: VirtualAddress) -> Translation? {
        let va = address.bits
        var table = root
        var inherited: UInt64 = 0
        for level in Level.allCases {
            let entry = table[geometry.index(va, level)]
            guard entry.isValid else { return nil }
            if level != .pte && entry.isTable {
                inherited |= Self.inheritedBits(entry)
                table = TablePage(entry)
                continue
            }
            if level == .pte && !entry.isTable { return nil }  // 0b01 at level 3 is reserved
            let size = geometry.size(level)
            let leaf = Leaf(va: alignDown(va, size), size: size, level: level, descriptor: entry, inherited: inherited)
            return Translation(pa: leaf.pa + (va - leaf.va), leafSize: size, level: level,
                               attributes: leaf.effectiveAttributes, cont: entry.isCont)
        }
        return nil
    }

    static func inheritedBits(_ table: Descriptor) -> UInt64 {
        (table.raw & Descriptor.pxnTable != 0 ? Descriptor.pxn : 0)
            | (table.raw & Descriptor.uxnTable != 0 ? Descriptor.uxn : 0)
    }

    /// The leaves overlapping [start, end), in VA order: none below the kernel half.
    public func leaves(from start: UInt64, to end: UInt64) -> LeafIterator {
        LeafIterator(table: self, start: max(start, VirtualAddress.kernelHalfStart), end: end)
    }

    /// Calls `body` for every entry of every table reachable from the root (uncounted):
    /// the table, its level, the VA its first entry maps, and inherited bits.
    func forEachTable(_ body: (TablePage, Level, UInt64, UInt64) -> Void) {
        func visit(_ table: TablePage, _ level: Level, _ base: UInt64, _ inherited: UInt64) {
            body(table, level, base, inherited)
            guard level != .pte else { return }
            let size = geometry.size(level)
            for i in 0..<geometry.entriesPerTable {
                let entry = table[i]
                guard entry.isValid && entry.isTable else { continue }
                visit(TablePage(entry), level.next, base &+ UInt64(i) &* size, inherited | Self.inheritedBits(entry))
            }
        }
        visit(root, .pgd, LinearMapRange.start & ~(geometry.size(.pgd) * UInt64(geometry.entriesPerTable) - 1), 0)
    }
}

/// Iteration over leaves in VA order, one at a time, so two maps can be compared in
/// lockstep without materialising either.
public struct LeafIterator: IteratorProtocol, Sequence {
    private let pt: PageTable
    private let end: UInt64
    private var va: UInt64
    private var done = false

    init(table: PageTable, start: UInt64, end: UInt64) {
        pt = table
        self.end = end
        va = start
        done = start >= end
    }

    /// Restarts each lookup from the root: a leaf costs at most four loads, and holes
    /// are skipped a whole absent entry at a time.
    public mutating func next() -> Leaf? {
        let g = pt.geometry
        while !done {
            var table = pt.root
            var inherited: UInt64 = 0
            var found: Leaf?
            var skipTo: UInt64 = 0
            for level in Level.allCases {
                let size = g.size(level)
                let entry = table[g.index(va, level)]
                if !entry.isValid || (level == .pte && !entry.isTable) {
                    skipTo = alignDown(va, size) &+ size
                    break
                }
                if level != .pte && entry.isTable {
                    inherited |= PageTable.inheritedBits(entry)
                    table = TablePage(entry)
                    continue
                }
                found = Leaf(va: alignDown(va, size), size: size, level: level, descriptor: entry, inherited: inherited)
                skipTo = alignDown(va, size) &+ size
                break
            }
            if skipTo == 0 || skipTo >= end { done = true } else { va = skipTo }
            if let found { return found }
        }
        return nil
    }
}
