/// The linear map's use by leaf size, as /proc/meminfo would show it with Yang Shi's
/// "arm64: mm: show direct mapping use in /proc/meminfo" (posted to linux-arm-kernel
/// from October 2025, v8 in June 2026, not merged): DirectMap4k, 64k (CONT PTEs), 2M,
/// 32M (CONT PMDs) and 1G. The patch keeps running totals, adjusted where map_mem and the
/// split helpers write leaves; set_memory_valid does not touch them, so an invalid entry
/// that keeps its bits (a kfence guard page) still counts. Here the totals are read off
/// the map at the end: every non-zero leaf entry in [PAGE_OFFSET, PAGE_END).
public struct DirectMapUse: Equatable, Sendable, Codable {
    /// Bytes mapped by each kind of leaf.
    public var pte: UInt64 = 0, contPTE: UInt64 = 0, pmd: UInt64 = 0, contPMD: UInt64 = 0, pud: UInt64 = 0

    public init() {}

    /// The patch's lines (v2's arch_report_meminfo): "DirectMap<size>:\t%8lu kB", the size
    /// in k/M/G, the 1G line only where PUD blocks exist (pud_sect_supported).
    public func meminfoLines(_ g: Geometry) -> [String] {
        var kinds: [(Level, Bool, UInt64)] = [(.pte, false, pte), (.pte, true, contPTE), (.pmd, false, pmd), (.pmd, true, contPMD)]
        if g.hasPUDBlocks { kinds.append((.pud, false, pud)) }
        return kinds.map { level, cont, bytes in
            let kB = String(bytes >> 10)
            return "DirectMap\(Self.sizeName(cont ? g.contSize(level) : g.size(level))):\t"
                + String(repeating: " ", count: max(0, 8 - kB.count)) + kB + " kB"
        }
    }

    /// 4096 → "4k", 64 KiB → "64k", 2 MiB → "2M", 1 GiB → "1G".
    static func sizeName(_ bytes: UInt64) -> String {
        bytes < 1 << 20 ? "\(bytes >> 10)k" : bytes < 1 << 30 ? "\(bytes >> 20)M" : "\(bytes >> 30)G"
    }
}

extension DirectMapUse {
    /// Adds a `level` table's leaves in the linear map, `size` bytes each.
    mutating func add(_ t: TableLeaves, _ level: Level, size: UInt64) {
        switch level {
        case .pte: (pte, contPTE) = (pte + UInt64(t.linear) * size, contPTE + UInt64(t.linearCont) * size)
        case .pmd: (pmd, contPMD) = (pmd + UInt64(t.linear) * size, contPMD + UInt64(t.linearCont) * size)
        case .pud: pud += UInt64(t.linear + t.linearCont) * size
        case .pgd: break
        }
    }
}
