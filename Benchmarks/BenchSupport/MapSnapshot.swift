import CJemalloc
import PageTableModel

/// The tables of a map at one moment and their contents, so a workload that makes the map
/// finer (a repaint, a perm storm) can be undone between benchmark iterations: `restore`
/// frees every table created since back into the same jemalloc arena and puts the old
/// entries back (uncounted stores). The next iteration then allocates warm pages.
public struct MapSnapshot {
    private var tables: [(page: TablePage, entries: [UInt64])] = []
    private var known: Set<TablePage> = []

    public init(_ pt: PageTable) {
        for (page, _) in Self.tables(of: pt) {
            tables.append((page, (0..<pt.geometry.entriesPerTable).map { page[$0].raw }))
            known.insert(page)
        }
    }

    /// Back to the snapshot: new tables freed (deepest first), old entries restored.
    public func restore(_ pt: PageTable) {
        for (page, level) in Self.tables(of: pt).reversed() where !known.contains(page) {
            pt.allocator.free(page, level, .kernel)
        }
        for (page, entries) in tables {
            for (i, e) in entries.enumerated() { page[i] = Descriptor(raw: e) }
        }
    }

    /// Every table reachable from the root with its level, parents before children.
    static func tables(of pt: PageTable) -> [(TablePage, Level)] {
        var out: [(TablePage, Level)] = [(pt.root, .pgd)]
        var k = 0
        while k < out.count {
            let (page, level) = out[k]
            k += 1
            guard level != .pte else { continue }
            for i in 0..<pt.geometry.entriesPerTable where page[i].isValid && page[i].isTable {
                out.append((TablePage(page[i]), level.next))
            }
        }
        return out
    }
}

extension TableAllocator {
    /// Keep freed table pages resident in the arena (no decay-driven purge), so tables
    /// freed by `MapSnapshot.restore` come back warm.
    public func keepFreedPagesResident() {
        var never = -1
        for knob in ["dirty_decay_ms", "muzzy_decay_ms"] {
            mallctl("arena.\(arena).\(knob)", nil, nil, &never, MemoryLayout<Int>.size)
        }
    }
}
