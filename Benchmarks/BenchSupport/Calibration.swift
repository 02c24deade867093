#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
public func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Seconds `body` takes, and its result.
public func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let t0 = nanoseconds()
    let r = try body()
    return (r, Double(nanoseconds() - t0) * 1e-9)
}

/// The yardstick every figure is compared with: memset of the same number of bytes,
/// on fresh anonymous memory (first touch, page faults included) or on memory already
/// touched (warm).
public enum Memset {
    /// Seconds to memset `bytes` freshly mmapped bytes (every page faulted in by the memset).
    public static func cold(bytes: Int) -> Double {
        let p = map(bytes)
        defer { munmap(p, bytes) }
        return timed { memset(p, 0x5a, bytes) }.1
    }

    /// Seconds to memset `bytes` already-resident bytes (the best of `repeats`).
    public static func warm(bytes: Int, repeats: Int = 3) -> Double {
        let p = map(bytes)
        defer { munmap(p, bytes) }
        memset(p, 0x11, bytes)
        return (0..<repeats).map { k in timed { memset(p, Int32(0x5a + k), bytes) }.1 }.min()!
    }

    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        precondition(p != MAP_FAILED, "mmap of \(bytes) bytes failed")
        return p
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
