import PageTableModel
import LinearMap

/// Independent statements of what the walkers must leave behind, written on "units":
/// a leaf, or a whole CONT group, of the map.
struct Unit {
    enum Kind { case pud, contPMD, pmd, contPTE, pte }
    var kind: Kind
    var va: UInt64
    var pa: UInt64
    /// A member's descriptor; address, type and CONT are re-derived for every leaf.
    var descriptor: Descriptor

    var size: UInt64 {
        switch kind {
        case .pud: G.pudSize
        case .contPMD: G.contPMDSize
        case .pmd: G.pmdSize
        case .contPTE: G.contPTESize
        case .pte: G.page
        }
    }
    var end: UInt64 { va + size }
    var level: Level {
        switch kind {
        case .pud: .pud
        case .contPMD, .pmd: .pmd
        case .contPTE, .pte: .pte
        }
    }
    var isCont: Bool { kind == .contPMD || kind == .contPTE }

    /// The same memory as units of `kind`, with the same attributes.
    func pieces(_ kind: Kind) -> [Unit] {
        var piece = Unit(kind: kind, va: va, pa: pa, descriptor: descriptor)
        return stride(from: 0, to: size, by: Int(piece.size)).map { offset in
            piece.va = va + offset
            piece.pa = pa + offset
            return piece
        }
    }

    /// The leaf entries of this unit, as a split helper writes them: the block's
    /// attributes, the type of the level, CONT iff a CONT unit, PA stepping per entry.
    var leaves: [LeafKey] {
        let entrySize = G.geometry.size(level)
        var d = descriptor.clearing(Descriptor.cont)
        d = level == .pte ? d.asPage : d.asBlock
        if isCont { d = d.setting(Descriptor.cont) }
        return stride(from: 0, to: size, by: Int(entrySize)).map { offset in
            LeafKey(va: va + offset, size: entrySize, level: level, descriptor: d.with(outputAddress: pa + offset))
        }
    }

    static func of(_ pt: PageTable, from start: UInt64, to end: UInt64) -> [Unit] {
        var units: [Unit] = []
        for leaf in pt.leaves(from: start, to: end) {
            let kind: Kind
            switch (leaf.level, leaf.descriptor.isCont) {
            case (.pud, _): kind = .pud
            case (.pmd, true): kind = .contPMD
            case (.pmd, false): kind = .pmd
            case (.pte, true): kind = .contPTE
            default: kind = .pte
            }
            let unit = Unit(kind: kind, va: leaf.va, pa: leaf.pa, descriptor: leaf.descriptor)
            // A CONT group is one unit, entered at its first member.
            if unit.isCont && !isAligned(leaf.va, unit.size) { continue }
            units.append(unit)
        }
        return units
    }
}

func leaves(of units: [Unit]) -> [LeafKey] { units.flatMap(\.leaves) }

/// W1's minimal map: a unit with no boundary strictly inside stays whole; otherwise it
/// becomes the next smaller kind (1G → 32M CONT groups → 2M blocks → 64K CONT groups →
/// pages), recursively, so each piece is the largest aligned one holding no boundary.
func splitAtBoundaries(_ units: [Unit], _ boundaries: [UInt64]) -> [Unit] {
    func refine(_ u: Unit) -> [Unit] {
        guard boundaries.contains(where: { $0 > u.va && $0 < u.end }) else { return [u] }
        let smaller: Unit.Kind
        switch u.kind {
        case .pud: smaller = .contPMD
        case .contPMD: smaller = .pmd
        case .pmd: smaller = .contPTE
        case .contPTE: smaller = .pte
        case .pte: return [u]
        }
        return u.pieces(smaller).flatMap(refine)
    }
    return units.flatMap(refine)
}

/// W4's map after walking [start, end): every unit overlapping the range is taken apart
/// without CONT (a straddling one whole: 1G → 2M blocks, a CONT group → its members) and
/// every 2M block overlapping the range becomes pages.
func splitToPTEs(_ units: [Unit], from start: UInt64, to end: UInt64) -> [Unit] {
    func refine(_ u: Unit) -> [Unit] {
        guard u.va < end && start < u.end else { return [u] }
        switch u.kind {
        case .pud, .contPMD: return u.pieces(.pmd).flatMap(refine)
        case .pmd, .contPTE: return u.pieces(.pte)
        case .pte: return [u]
        }
    }
    return units.flatMap(refine)
}

/// Seeded requests of mixed sizes in [lo, hi): page aligned, a third of them aligned to
/// the request's scale, sizes from one page to twice the scale.
func randomRequests(seed: UInt64, count: Int, in lo: UInt64, _ hi: UInt64,
                    scales: [UInt64] = [G.page, G.contPTESize, G.pmdSize, G.contPMDSize, G.pudSize])
    -> [(start: UInt64, end: UInt64)] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let scale = scales[Int(rng.next() % UInt64(scales.count))]
        var start = lo + (rng.next() % ((hi - lo) / G.page)) * G.page
        if rng.next() % 3 == 0 { start = max(lo, alignDown(start, scale)) }
        let length = (1 + rng.next() % (2 * scale / G.page)) * G.page
        return (start, min(hi, start + length))
    }
}
