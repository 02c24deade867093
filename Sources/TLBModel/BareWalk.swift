import PageTableModel

/// The floor a TLB run is timed against: the same trace, each address walked root to
/// leaf through the same tables with no TLB and no walk cache — dependent descriptor
/// loads, as deep as the tables are where the address lands.
public enum BareWalk {
    /// Walks the next `count` addresses of `trace` through `pt`; the descriptors loaded
    /// (each load decides the next, so none can be dropped).
    public static func run<G: TraceGenerator>(_ pt: PageTable, _ trace: inout G, count: Int) -> Int {
        var loads = 0
        for _ in 0..<count { loads &+= walk(pt, trace.next()) { _, _, _ in } }
        return loads
    }

    /// Walks `va` root to leaf through `pt`, handing `atLeaf` the table, index and
    /// descriptor where the walk ends; the descriptors loaded.
    @inlinable @inline(__always)
    public static func walk(_ pt: PageTable, _ va: UInt64, atLeaf: (TablePage, Int, Descriptor) -> Void) -> Int {
        let geometry = pt.geometry
        var table = pt.root, level = Level.pgd, loads = 0
        while true {
            let index = geometry.index(va, level)
            let e = table[index]
            loads &+= 1
            guard level < .pte, e.isValid, e.isTable else {
                atLeaf(table, index, e)
                return loads
            }
            table = TablePage(e)
            level = level.next
        }
    }
}
