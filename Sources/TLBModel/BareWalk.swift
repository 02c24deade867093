import PageTableModel

/// The floor a TLB run is timed against: the same trace, each address walked root to
/// leaf through the same tables with no TLB and no walk cache — dependent descriptor
/// loads, as deep as the tables are where the address lands.
public enum BareWalk {
    /// Walks the next `count` addresses of `trace` through `pt`; the descriptors loaded
    /// (each load decides the next, so none can be dropped).
    public static func run<G: TraceGenerator>(_ pt: PageTable, _ trace: inout G, count: Int) -> Int {
        let geometry = pt.geometry
        var loads = 0
        for _ in 0..<count {
            let va = trace.next()
            var table = pt.root, level = Level.pgd
            while true {
                let e = table[geometry.index(va, level)]
                loads &+= 1
                guard level < .pte, e.isValid, e.isTable else { break }
                table = TablePage(e)
                level = level.next
            }
        }
        return loads
    }
}
