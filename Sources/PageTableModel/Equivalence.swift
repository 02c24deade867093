/// Comparing two maps page by page, and checking that one is well formed.

/// The first page at which two maps translate differently.
public struct Mismatch: Equatable, Sendable, CustomStringConvertible {
    public var va: UInt64
    public var left: Translation?
    public var right: Translation?
    public var description: String {
        "VA 0x\(String(va, radix: 16)): \(left.map { "PA 0x\(String($0.pa, radix: 16)) attrs 0x\(String($0.attributes, radix: 16))" } ?? "unmapped")"
            + " vs \(right.map { "PA 0x\(String($0.pa, radix: 16)) attrs 0x\(String($0.attributes, radix: 16))" } ?? "unmapped")"
    }
}

extension PageTable {
    /// nil when every page of [start, end) translates to the same PA with the same
    /// effective attributes in both maps, after `adjust` is applied to this map's
    /// attributes (the intended change of a permission update, say).
    public func firstMismatch(with other: PageTable, from start: UInt64, to end: UInt64,
                              adjust: (UInt64, UInt64) -> UInt64 = { attrs, _ in attrs }) -> Mismatch? {
        var a = leaves(from: start, to: end), b = other.leaves(from: start, to: end)
        var x = a.next().map { Piece($0, start, end) }, y = b.next().map { Piece($0, start, end) }
        while x != nil || y != nil {
            guard var p = x, var q = y, p.va == q.va else {
                let va = min(x?.va ?? .max, y?.va ?? .max)
                return Mismatch(va: va, left: translate(va), right: other.translate(va))
            }
            if p.pa != q.pa || adjust(p.attributes, p.va) != q.attributes {
                return Mismatch(va: p.va, left: translate(p.va), right: other.translate(p.va))
            }
            let step = min(p.end, q.end) - p.va
            p.advance(step)
            q.advance(step)
            x = p.isEmpty ? a.next().map { Piece($0, start, end) } : p
            y = q.isEmpty ? b.next().map { Piece($0, start, end) } : q
        }
        return nil
    }
}

/// The unconsumed part of a leaf, clipped to the compared range.
private struct Piece {
    var va: UInt64, end: UInt64, pa: UInt64
    let attributes: UInt64
    init(_ leaf: Leaf, _ start: UInt64, _ end: UInt64) {
        va = max(leaf.va, start)
        self.end = min(leaf.end, end)
        pa = leaf.pa + (va - leaf.va)
        attributes = leaf.effectiveAttributes
    }
    var isEmpty: Bool { va >= end }
    mutating func advance(_ n: UInt64) { va += n; pa += n }
}
