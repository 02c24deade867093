import LinearMap
import PageTableModel
import TLBModel

/// A deliberately plain TLB model: arrays of sets, linear searches, a global clock
/// for LRU, and translation sizes taken from the oracle (`translate`), not from the
/// table walk the fast model does.
struct ReferenceTLB {
    struct Entry { var base: UInt64; var size: UInt64; var lastUse: Int }
    struct Level {
        var sets: Int
        var sizes: [UInt64]
        var slots: [[Entry?]]
    }

    let pt: PageTable
    let config: TLBConfiguration
    var levels: [Level]
    var clock = 0

    init(_ config: TLBConfiguration, _ pt: PageTable) {
        self.pt = pt
        self.config = config
        levels = config.levels.map { c in
            Level(sets: c.entries / c.ways, sizes: c.sizes.map(\.bytes).sorted(),
                  slots: Array(repeating: Array(repeating: nil, count: c.ways), count: c.entries / c.ways))
        }
    }

    mutating func access(_ va: UInt64) -> TLBOutcome {
        for l in levels.indices {
            if let size = hit(l, va) {
                for k in 0..<l { fill(k, va, size) }
                return .hit(level: l)
            }
        }
        guard let t = pt.translate(va) else { return .fault }
        let size = translationSize(va, t)
        for k in levels.indices { fill(k, va, size) }
        return .walk(reads: t.level.rawValue + 1)
    }

    /// Size of the entry hit in level `l`, smallest sizes tried first.
    mutating func hit(_ l: Int, _ va: UInt64) -> UInt64? {
        clock += 1
        for size in levels[l].sizes {
            let set = Int((va / size) % UInt64(levels[l].sets))
            for w in levels[l].slots[set].indices {
                if let e = levels[l].slots[set][w], e.size == size, e.base == va - va % size {
                    levels[l].slots[set][w]!.lastUse = clock
                    return size
                }
            }
        }
        return nil
    }

    mutating func fill(_ l: Int, _ va: UInt64, _ size: UInt64) {
        clock += 1
        let held = levels[l].sizes.filter { $0 <= size }.max()!
        let set = Int((va / held) % UInt64(levels[l].sets))
        let ways = levels[l].slots[set]
        let victim = ways.firstIndex(where: { $0 == nil })
            ?? ways.indices.min(by: { ways[$0]!.lastUse < ways[$1]!.lastUse })!
        levels[l].slots[set][victim] = Entry(base: va - va % held, size: held, lastUse: clock)
    }

    func translationSize(_ va: UInt64, _ t: Translation) -> UInt64 {
        let g = pt.geometry
        if t.leafSize == g.size(.pte) {
            if t.cont && config.contCoalescing { return g.contSize(.pte) }
            return config.pageCoalescing && fourPagesCoalesce(va) ? 4 * g.pageSize : g.pageSize
        }
        if t.leafSize == g.size(.pmd) && t.cont && config.contCoalescing { return g.contSize(.pmd) }
        return t.leafSize
    }

    /// The 16 KiB-aligned group of four pages holding `va` maps 16 KiB-aligned,
    /// consecutive physical pages with one set of attributes.
    func fourPagesCoalesce(_ va: UInt64) -> Bool {
        let first = va - va % 0x4000
        guard let t0 = pt.translate(first), t0.pa % 0x4000 == 0 else { return false }
        return (1..<4).allSatisfy { k in
            guard let t = pt.translate(first + UInt64(k) * 4096) else { return false }
            return t.leafSize == 4096 && t.pa == t0.pa + UInt64(k) * 4096 && t.attributes == t0.attributes
        }
    }
}
