#if canImport(Glibc)
import Glibc
#endif

import BenchHarness
import CStreamingStores

/// The thread's CPU nanoseconds: the clock the harness's memset yardstick is timed on.
public func nanoseconds() -> UInt64 { Calibration.cpuNow() }

/// CPU seconds `body` takes, and its result.
public func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let t0 = nanoseconds()
    let r = try body()
    return (r, Double(nanoseconds() - t0) * 1e-9)
}

/// The yardstick every figure is compared with: the harness's memset calibration, in
/// seconds — on fresh memory (first touch, page faults included) or already touched (warm).
public enum Memset {
    public static func cold(bytes: Int) -> Double { Double(Calibration.firstTouchMemset(bytes: UInt64(bytes))) * 1e-9 }
    public static func warm(bytes: Int) -> Double { Double(Calibration.warmMemset(bytes: UInt64(bytes))) * 1e-9 }
}

/// The floor under any table fill on this machine: descriptors computed per entry and
/// written with the streaming stores a repaint uses, 4 KiB at a time into an already
/// touched buffer of `bytes` (best of three). memset writes one repeated byte and can
/// go faster than any store of computed values.
public enum StreamedFill {
    public static func warm(bytes: Int) -> Double {
        let tables = max(bytes / 4096, 1)
        return Calibration.withFreshPages(bytes: tables * 4096) { buffer, count in
            let entries = buffer.bindMemory(to: UInt64.self, capacity: tables * 512)
            memset(buffer, 1, count)
            return (0..<3).map { _ in
                timed {
                    for t in 0..<tables {
                        splitbench_stream_fill(entries + t * 512, 512, UInt64(t) << 21 | 0x403, 4096)
                    }
                }.1
            }.min()!
        } ?? 0
    }
}

/// Resident-set figures from /proc/self/status, in bytes.
public enum ResidentSet {
    /// VmHWM: the process's peak resident set.
    public static var peak: Int { field("VmHWM:") }
    /// VmRSS: the current resident set.
    public static var current: Int { field("VmRSS:") }

    /// Minor page faults of the process so far.
    public static var minorFaults: Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_minflt
    }

    private static func field(_ name: String) -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return -1 }
        defer { fclose(f) }
        var line = [UInt8](repeating: 0, count: 256)
        while line.withUnsafeMutableBufferPointer({ b in
            b.withMemoryRebound(to: CChar.self) { fgets($0.baseAddress, Int32($0.count), f) } != nil
        }) {
            let s = String(decoding: line.prefix { $0 != 0 }, as: UTF8.self)
            guard s.hasPrefix(name) else { continue }
            let kib = s.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return (kib ?? -1) * 1024
        }
        return -1
    }
}
