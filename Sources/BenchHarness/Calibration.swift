import Foundation

/// Timings are reported against a memset of the same bytes measured in the same
/// process, because these machines are shared and noisy.
public enum Calibration {
    /// Monotonic nanoseconds.
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public static func time(_ body: () throws -> Void) rethrows -> UInt64 {
        let start = now()
        try body()
        return now() - start
    }

    /// memset of `bytes` into an already touched buffer: the best of three. Never with
    /// zero: descriptors are not zero, and zeroing has a fast path of its own on some CPUs
    /// (1.5–2 × faster on this project's AMD EPYC VMs).
    public static func warmMemset(bytes: UInt64) -> UInt64 {
        withFreshPages(bytes: Int(max(bytes, 4096))) { buffer, count in
            memset(buffer, 1, count)
            return (2..<5).map { byte in time { memset(buffer, Int32(byte), count) } }.min()!
        } ?? 0
    }

    /// memset of `bytes` into fresh pages, so the time includes the page faults.
    public static func firstTouchMemset(bytes: UInt64) -> UInt64 {
        withFreshPages(bytes: Int(max(bytes, 4096))) { buffer, count in
            time { memset(buffer, 1, count) }
        } ?? 0
    }

    /// `body` over `bytes` of fresh anonymous pages, unmapped after; nil if mmap fails.
    /// Straight from the kernel rather than malloc: a malloc interposer (package-benchmark's)
    /// reads the bytes before a pointer it frees, and a page-aligned block may have none.
    public static func withFreshPages<R>(bytes: Int, _ body: (UnsafeMutableRawPointer, Int) -> R) -> R? {
        guard let buffer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              buffer != MAP_FAILED else { return nil }
        defer { munmap(buffer, bytes) }
        return body(buffer, bytes)
    }
}
