import PageTableModel

extension TLBLevelConfiguration {
    /// Bytes covered when every entry holds the largest size it can of the leaves in
    /// `histogram` (biggest first; CONT groups count as one translation, four-page
    /// coalescing is not credited). A static upper bound on what this level can reach.
    public func reachBytes(of histogram: LeafHistogram, contCoalescing: Bool) -> UInt64 {
        let contSingles = contCoalescing ? 0 : 1
        let leaves: [(count: Int, size: PageSize)] = [
            (histogram.pud, .g1),
            (histogram.pmd + histogram.pmdCont * contSingles, .m2),
            (contCoalescing ? histogram.contPMDGroups : 0, .m32),
            (histogram.pte + histogram.pteCont * contSingles, .k4),
            (contCoalescing ? histogram.contPTEGroups : 0, .k64),
        ]
        var pieces: [(count: UInt64, size: UInt64)] = []
        for (count, size) in leaves where count > 0 {
            guard let h = held(size) else { continue }
            pieces.append((UInt64(count) * (size.bytes / h.bytes), h.bytes))
        }
        var free = UInt64(entries), reach: UInt64 = 0
        for piece in pieces.sorted(by: { $0.size > $1.size }) {
            let n = min(free, piece.count)
            reach += n * piece.size
            free -= n
        }
        return reach
    }
}
