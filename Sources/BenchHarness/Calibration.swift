import Foundation

/// What a run's time is compared with (`calib_kind`).
public enum CalibrationKind: String, Codable, Sendable {
    /// memset of the bytes written into fresh pages: the operation allocated tables.
    case firstTouch = "first-touch"
    /// Descents and runs of stores over the run's own tables, as many as it made and
    /// wrote: the operation rewrote descriptors in place, or wrote none (`WalkRewrite`).
    case walkRewrite = "walk-rewrite"
    /// The run's trace walked through the same tables with no TLB: a TLB run.
    case bareWalk = "bare-walk"
    /// No reference: the operation made no descent and wrote nothing (a mosaic that splits
    /// nothing, W1 returning early on a PTE map), so nothing does its kind of work.
    case none
}

/// Timings are reported against a reference doing the same kind of work at the same
/// size, measured in the same process, because these machines are shared and noisy.
public enum Calibration {
    /// The shortest interval a timing stands on: anything shorter is repeated until the
    /// repeats add up to this (a short interval swings with every interrupt and migration).
    public static let minimumIntervalNs: UInt64 = 50_000_000
    /// The most wall time, untimed setup included, spent reaching it: an operation of
    /// microseconds on a map that takes milliseconds to build stops here, short of it.
    public static let repeatBudgetNs: UInt64 = 1_000_000_000

    /// How many blocks a timing's runs are grouped into (`typical`).
    public static let blocks: UInt64 = 5
    /// The fewest runs a timing takes within the budget, so that even an operation longer
    /// than the interval is a median of three, not one disturbed run.
    public static let minimumRuns = 3

    /// Runs `once`, which returns the nanoseconds it timed, until the times add up to
    /// `minimumNs` over at least `minimumRuns` runs, or the runs have taken `budgetNs` of
    /// wall time: their `typical` time over blocks of `minimumNs / blocks`, and the count.
    public static func repeated<E: Error>(atLeast minimumNs: UInt64 = minimumIntervalNs, within budgetNs: UInt64 = repeatBudgetNs,
                                          clock: () -> UInt64 = now, _ once: () throws(E) -> UInt64) throws(E) -> (ns: UInt64, repeats: UInt64) {
        let start = clock()
        var times: [UInt64] = [], total: UInt64 = 0
        repeat {
            let t = try once()
            times.append(t)
            total += t
        } while (total < minimumNs || times.count < minimumRuns) && clock() - start < budgetNs
        return (typical(times, blockNs: max(minimumNs / blocks, 1)), UInt64(times.count))
    }

    /// The median of the means (rounded down) of consecutive blocks of `times` that each
    /// add up to `blockNs`, so a disturbance that slows one block does not move the figure;
    /// a short last block counts only when it is the only one.
    public static func typical(_ times: [UInt64], blockNs: UInt64 = minimumIntervalNs / blocks) -> UInt64 {
        guard !times.isEmpty else { return 0 }
        var means: [UInt64] = [], sum: UInt64 = 0, runs: UInt64 = 0
        for t in times {
            sum += t
            runs += 1
            if sum >= blockNs {
                means.append(sum / runs)
                (sum, runs) = (0, 0)
            }
        }
        if means.isEmpty { means.append(sum / runs) }
        return means.sorted()[means.count / 2]
    }

    /// The most memory a calibration maps at once (it runs after the run's page tables
    /// are freed, but a buffer as large as the bytes written would still set the peak).
    /// Four times this project's machines' 32 MiB L3, so a warm memset still runs at
    /// memory speed; above it, the bytes are written in chunks of this size.
    public static let maximumBufferBytes: UInt64 = 128 << 20

    /// A first-touch reference at most this large runs after each of the operation's runs,
    /// beside its tables (well inside the guard's 64 MiB slack), so both see the same
    /// moments of a shared machine; a larger one runs once the tables are freed.
    static let interleavedFillBytes: UInt64 = 16 << 20

    /// Monotonic wall nanoseconds: for budgets and progress, never for a timing.
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The calling thread's CPU nanoseconds (CLOCK_THREAD_CPUTIME_ID, user and system:
    /// page faults count, time the scheduler gave to other processes does not). Every
    /// timing and every reference is on this clock: on these shared 2-core VMs a wall
    /// clock measured the neighbours (ratios moved 3x under a build, 1.05x on this clock).
    public static func cpuNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The CPU nanoseconds `body` takes (`cpuNow`).
    public static func time(_ body: () throws -> Void) rethrows -> UInt64 {
        let start = cpuNow()
        try body()
        return cpuNow() - start
    }

    /// memset of `bytes` into an already touched buffer, `repeated`. Never with
    /// zero: descriptors are not zero, and zeroing has a fast path of its own on some CPUs
    /// (1.5–2 × faster on this project's AMD EPYC VMs).
    public static func warmMemset(bytes: UInt64) -> UInt64 { warmMemset(bytes: bytes, bufferBytes: maximumBufferBytes) }

    /// memset of `bytes` into fresh pages, so the time includes the page faults, `repeated`.
    public static func firstTouchMemset(bytes: UInt64) -> UInt64 { firstTouchMemset(bytes: bytes, bufferBytes: maximumBufferBytes) }

    /// `warmMemset` through a buffer of at most `bufferBytes`, rewritten until `bytes` are.
    public static func warmMemset(bytes: UInt64, bufferBytes: UInt64) -> UInt64 {
        let total = max(bytes, 4096)
        return withFreshPages(bytes: Int(min(total, max(bufferBytes, 4096)))) { buffer, chunk in
            memset(buffer, 1, chunk)
            var byte: Int32 = 1
            return repeated {
                byte = byte % 255 + 1
                return time { memsetRepeated(buffer, byte, chunk: chunk, total: total) }
            }.ns
        } ?? 0
    }

    /// `firstTouchMemset` at most `bufferBytes` at a time, each chunk freshly mapped and
    /// unmapped after, so every page still faults in and the peak stays bounded.
    public static func firstTouchMemset(bytes: UInt64, bufferBytes: UInt64) -> UInt64 {
        repeated { firstTouchMemsetOnce(bytes: bytes, bufferBytes: bufferBytes) }.ns
    }

    /// One memset of `bytes` into fresh pages, at most `bufferBytes` at a time (not repeated).
    static func firstTouchMemsetOnce(bytes: UInt64, bufferBytes: UInt64 = maximumBufferBytes) -> UInt64 {
        var left = max(bytes, 4096), ns: UInt64 = 0
        while left > 0 {
            let chunk = min(left, max(bufferBytes, 4096))
            guard let t = withFreshPages(bytes: Int(chunk), { buffer, count in time { memset(buffer, 1, count) } }) else { return 0 }
            ns += t
            left -= chunk
        }
        return ns
    }

    /// `total` bytes of memset over `buffer` of `chunk` bytes, from its start each time.
    private static func memsetRepeated(_ buffer: UnsafeMutableRawPointer, _ byte: Int32, chunk: Int, total: UInt64) {
        var left = total
        while left > 0 {
            let n = Int(min(left, UInt64(chunk)))
            memset(buffer, byte, n)
            left -= UInt64(n)
        }
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
