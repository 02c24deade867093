#if canImport(Glibc)
import Glibc
#endif

import BenchHarness

/// Monotonic nanoseconds.
public func nanoseconds() -> UInt64 { Calibration.now() }

/// Seconds `body` takes, and its result.
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
