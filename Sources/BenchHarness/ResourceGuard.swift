import Foundation
import LinearMap

/// Refuses, before anything is allocated, a run whose page tables would not fit in the
/// memory this machine has available.
public enum ResourceGuard {
    /// Worst-case table bytes: every page PTE-mapped (the run may repaint or split it all).
    public static func worstCaseTableBytes(_ layout: MachineLayout) -> UInt64 {
        layout.banks.reduce(0) { sum, bank in
            let pages = bank.size / 4096
            return sum + (pages / 512 + 1) * 4096 + (pages / (512 * 512) + 2) * 4096 + 2 * 4096
        }
    }

    /// MemAvailable from /proc/meminfo, in bytes (nil off Linux).
    public static func memAvailable() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// Throws a one-line error naming `--memory` when the tables cannot fit.
    public static func check(_ layout: MachineLayout, needsFullPTEMap: Bool) throws(RunError) {
        guard let available = memAvailable() else { return }
        let need = needsFullPTEMap ? worstCaseTableBytes(layout) : worstCaseTableBytes(layout) / 64
        // jemalloc slabs and our own headroom: 10 % plus 256 MiB.
        let budget = available > (256 << 20) ? available - (256 << 20) : 0
        if need + need / 10 > budget {
            throw RunError("--memory: \(ByteSize.format(layout.totalBytes)) needs ≈ \(gib(need)) of page tables; "
                + "this machine has \(gib(available)) available (use a smaller --memory)")
        }
    }

    static func gib(_ bytes: UInt64) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
}

/// A run that cannot start or failed: one line, naming the parameter where there is one.
public struct RunError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
