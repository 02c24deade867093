import Foundation
import LinearMap
import PageTableModel

/// Refuses, before anything is allocated, a run whose peak memory would not fit in the
/// memory this machine has available.
public enum ResourceGuard {
    /// How far a run's page tables may grow.
    public enum TableBudget: Sendable, Equatable {
        /// Every page of every bank may end PTE-mapped: repaint, perm, replay, mosaic,
        /// kfence, debug-pagealloc, and boot in PTE mode.
        case fullPTE
        /// The block map only: boot and tlb in block mode.
        case blocks
    }

    /// The process without tables: Swift runtime, Foundation, code (22 MiB measured for
    /// a 64 MiB boot).
    public static let processBaseBytes: UInt64 = 32 << 20
    /// jemalloc's metadata and part-used 64-page slabs, as 1/n of the table bytes: RSS
    /// exceeded tables, calibration and process by 0.25 % for 1 and 2 TiB PTE maps.
    static let allocatorOverheadDivisor: UInt64 = 128

    /// An upper bound of the bytes the tables (root included) may reach; nil on overflow.
    public static func tableBytes(_ layout: MachineLayout, tables: TableBudget) -> UInt64? {
        let counts = tables == .fullPTE ? fullPTETables(layout) : blockTables(layout)
        return counts.flatMap { multiplied($0, UInt64(Geometry.fourK.tableBytes)) }
    }

    /// What the process will hold at its peak: tables, allocator overhead, calibration
    /// buffer, the process itself and `extraBytes`; nil when that overflows 64 bits.
    public static func estimatedPeakBytes(_ layout: MachineLayout, tables: TableBudget, extraBytes: UInt64) -> UInt64? {
        parts(layout, tables: tables, extraBytes: extraBytes).flatMap { sum($0.map(\.bytes)) }
    }

    /// Throws a one-line error naming `--memory` when the estimate exceeds MemAvailable.
    public static func check(_ layout: MachineLayout, tables: TableBudget, extraBytes: UInt64) throws(RunError) {
        guard let available = memAvailable() else { return }
        guard let parts = parts(layout, tables: tables, extraBytes: extraBytes), let need = sum(parts.map(\.bytes)) else {
            throw refusal(layout, needs: "more bytes than 64 bits count", available: available)
        }
        guard need > available else { return }
        let terms = parts.map { "\($0.name) \(gib($0.bytes))" }.joined(separator: " + ")
        throw refusal(layout, needs: "≈ \(gib(need)) (\(terms))", available: available)
    }

    private static func refusal(_ layout: MachineLayout, needs: String, available: UInt64) -> RunError {
        RunError("--memory: \(ByteSize.format(layout.totalBytes)) needs \(needs); "
            + "this machine has \(gib(available)) available (use a smaller --memory)")
    }

    /// MemAvailable from /proc/meminfo, in bytes (nil off Linux).
    public static func memAvailable() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return kb.flatMap { multiplied($0, 1024) }
        }
        return nil
    }

    /// The estimate's terms, named as the refusal prints them; nil on overflow.
    private static func parts(_ layout: MachineLayout, tables: TableBudget, extraBytes: UInt64) -> [(name: String, bytes: UInt64)]? {
        guard let t = tableBytes(layout, tables: tables) else { return nil }
        let fixed = [("page tables", t), ("allocator", t / allocatorOverheadDivisor),
                     ("calibration", Calibration.maximumBufferBytes), ("process", processBaseBytes)]
        return fixed + (extraBytes > 0 ? [("other", extraBytes)] : [])
    }

    /// Every bank PTE-mapped: a PTE table per 2 MiB, PMD table per 1 GiB, PUD table per
    /// 512 GiB region touched, and the root.
    private static func fullPTETables(_ layout: MachineLayout) -> UInt64? {
        let g = Geometry.fourK
        return sum(layout.banks.flatMap { bank in
            let (a, b) = offsets(bank, layout)
            return [regions(a, b, g.size(.pmd)), regions(a, b, g.size(.pud)), regions(a, b, g.size(.pgd))]
        } + [1])
    }

    /// The block map: PUD tables over the banks; PMD and PTE tables only at the edges of
    /// each mapped piece (kernel alias included) that are not block aligned; the early
    /// kfence pool PTE-mapped whole.
    private static func blockTables(_ layout: MachineLayout) -> UInt64? {
        let g = Geometry.fourK
        let pud = layout.banks.map { bank in let (a, b) = offsets(bank, layout); return regions(a, b, g.size(.pgd)) }
        let edges = (layout.ordinaryPieces + [layout.kernelImage]).flatMap { piece in
            let (a, b) = offsets(piece, layout)
            return [edgeRegions(a, b, g.size(.pud)), edgeRegions(a, b, g.size(.pmd))]
        }
        let pool = layout.kfencePool.map { pool in
            let (a, b) = offsets(pool, layout)
            return [regions(a, b, g.size(.pud)), regions(a, b, g.size(.pmd))]
        }
        return sum(pud + edges + (pool ?? []) + [1])
    }

    /// `range` as offsets into the linear map, whose start is aligned to every table span.
    private static func offsets(_ range: PhysRange, _ layout: MachineLayout) -> (UInt64, UInt64) {
        (range.start - layout.memstart, range.end - layout.memstart)
    }

    /// The `span`-aligned regions that [a, b) touches (a < b, both below 2^48).
    private static func regions(_ a: UInt64, _ b: UInt64, _ span: UInt64) -> UInt64 { (b - 1) / span - a / span + 1 }

    /// The regions holding an end of [a, b) that is not `span` aligned.
    private static func edgeRegions(_ a: UInt64, _ b: UInt64, _ span: UInt64) -> UInt64 {
        let ends = Set([a % span != 0 ? a / span : nil, b % span != 0 ? (b - 1) / span : nil].compactMap { $0 })
        return UInt64(ends.count)
    }

    private static func sum(_ terms: [UInt64]) -> UInt64? {
        var total: UInt64 = 0
        for t in terms {
            let (s, overflow) = total.addingReportingOverflow(t)
            guard !overflow else { return nil }
            total = s
        }
        return total
    }

    private static func multiplied(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : p
    }

    /// GiB with two decimals below 10 GiB, one above.
    static func gib(_ bytes: UInt64) -> String {
        let g = Double(bytes) / Double(1 << 30)
        return String(format: g < 10 ? "%.2f GiB" : "%.1f GiB", g)
    }
}

/// A run that cannot start or failed: one line, naming the parameter where there is one.
public struct RunError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
