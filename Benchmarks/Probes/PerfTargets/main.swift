// Measures the issue's performance targets as ratios within one process run, against a
// memset of the same bytes measured in the same run. Not a benchmark: one shot per figure.
//   PerfTargets build   [GiB]          pte-mode map_mem: time, memset, peak RSS vs pt bytes
//   PerfTargets repaint [GiB] [lazy]   block map → PTEs (pagewalk): cold and warm ratios
//   PerfTargets storm   walker [lazy]  10,000 seeded read-only/writable linear-range pairs (__change_memory_common) on 256 GiB
import BenchSupport
import Foundation
import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers

let args = CommandLine.arguments.dropFirst()
let mode = args.first ?? "repaint"
let mib = Double(1 << 20)

/// One line on stderr naming the argument and its accepted form, then exit 2.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("PerfTargets: \(message)\n".utf8))
    exit(2)
}
func gib(_ k: Int) -> UInt64 {
    guard args.count > k else { return 256 }
    guard let n = UInt64(args[args.startIndex + k]), n > 0 else {
        fail("memory in GiB must be a positive integer, got '\(args[args.startIndex + k])'")
    }
    return n
}
func flag(_ name: String) -> Bool { !args.contains("\(name)=off") }
func option(_ name: String, _ fallback: Int) -> Int {
    args.first { $0.hasPrefix(name + "=") }.flatMap { Int($0.dropFirst(name.count + 1)) } ?? fallback
}
func fmt(_ x: Double, _ digits: Int = 3) -> String {
    var s = "\(Double(Int((x * pow10(digits)).rounded())) / pow10(digits))"
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}
func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }
/// "ratio 1.23 (target ≤ 1.5: ok)".
func verdict(_ ratio: Double, _ limit: Double) -> String {
    "ratio \(fmt(ratio, 2)) (target ≤ \(fmt(limit, 2)): \(ratio <= limit ? "ok" : "MISSED"))"
}

switch mode {
case "build":
    let memory = gib(1)
    let layout = try MachineLayout.builtin("single", memory: memory << 30)
    let pt = try PageTable()
    let (_, t) = try timed { try LinearMapBuilder(layout: layout, mode: .pte).build(into: pt) }
    let bytes = pt.allocator.arenaAllocatedBytes
    let hwm = ResidentSet.peak
    let cold = Memset.cold(bytes: bytes)
    let limit = 1.10 * Double(bytes) + 64 * mib
    print("build pte \(memory)G: \(fmt(t))s, table bytes \(fmt(Double(bytes) / mib, 1)) MiB, memset cold \(fmt(cold))s → ratio \(fmt(t / cold, 2))")
    print("peak RSS (VmHWM after build) \(fmt(Double(hwm) / mib, 1)) MiB; limit 1.10 × pt_bytes + 64 MiB = \(fmt(limit / mib, 1)) MiB → \(Double(hwm) <= limit ? "ok" : "OVER")")

case "repaint":
    let memory = gib(1), lazy = flag("lazy")
    let layout = try MachineLayout.builtin("single", memory: memory << 30)
    let pt = try PageTable()
    pt.allocator.keepFreedPagesResident()
    try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
    let snapshot = MapSnapshot(pt)
    let before = pt.allocator.tableBytes, hwm0 = ResidentSet.peak
    let (_, cold) = try timed { try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk, context: lazyContext(lazy)) }
    let bytes = pt.allocator.tableBytes - before
    let hwm = ResidentSet.peak
    print("repaint \(memory)G lazy=\(lazy): \(fmt(Double(bytes) / mib, 1)) MiB of tables; peak RSS \(fmt(Double(hwm) / mib, 1)) MiB (before repaint \(fmt(Double(hwm0) / mib, 1)))")
    // Above 1 TiB (the scale run) only time and peak RSS: a memset beside the tables
    // would double the footprint on a shared machine.
    guard memory <= 1024 else {
        print("  cold: repaint \(fmt(cold))s")
        break
    }
    let memsetCold = Memset.cold(bytes: bytes)
    print("  cold: repaint \(fmt(cold))s, first-touch memset \(fmt(memsetCold))s → \(verdict(cold / memsetCold, 1.2))")
    do {
        var warm = Double.infinity, faults = 0
        for _ in 0..<option("repeats", 3) {
            snapshot.restore(pt)
            let f0 = ResidentSet.minorFaults
            let t = try timed { try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk, context: lazyContext(lazy)) }.1
            if t < warm { (warm, faults) = (t, ResidentSet.minorFaults - f0) }
        }
        let memsetWarm = Memset.warm(bytes: bytes), floor = StreamedFill.warm(bytes: bytes)
        print("  warm: repaint \(fmt(warm))s (best of \(option("repeats", 3)), \(faults) page faults in it), memset \(fmt(memsetWarm))s → \(verdict(warm / memsetWarm, 1.5))")
        print("  floor: streamed fill of the same bytes \(fmt(floor))s = \(fmt(floor / memsetWarm, 2)) × memset; repaint = \(fmt(warm / floor, 2)) × the floor")
    }

case "storm":
    let name = args.count > 1 ? args[args.startIndex + 1] : "leaf"
    guard let kind = WalkerKind(rawValue: name) else {
        fail("walker must be one of \(WalkerKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
    }
    let lazy = flag("lazy")
    let layout = try MachineLayout.builtin("single", memory: 256 << 30)
    let pt = try PageTable()
    try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
    let perms = Permissions(pt: pt, context: lazyContext(lazy), walker: kind)
    let requests = Array(try PermRequests(layout: layout, count: 10_000, size: .powerOfTwo(maxLog2: 9), seed: 42))
    // First run: every split table is a first touch. Then warm runs: the map restored and
    // its tables freed back into the arena, so the same splits reuse resident pages.
    let snapshot = MapSnapshot(pt)
    pt.allocator.keepFreedPagesResident()
    func storm() throws -> (Double, Int) {
        let c0 = pt.counters
        let (_, t) = try timed {
            for r in requests {
                try perms.changeMemoryCommon(r.start, size: r.size, .readOnly)
                try perms.changeMemoryCommon(r.start, size: r.size, .readWrite)
            }
        }
        return (t, pt.counters.since(c0).totalEntriesWritten)
    }
    let (cold, written) = try storm()
    var warm = Double.infinity
    for _ in 0..<option("repeats", 3) {
        snapshot.restore(pt)
        warm = min(warm, try storm().0)
    }
    // The yardsticks, in ns per 8 B: memset into touched memory for the warm runs, into
    // fresh pages (faults included, as the cold run's new tables) for the cold one.
    let perEight = { (t: Double) in t / Double((256 << 20) / 8) * 1e9 }
    let memsetWarm = perEight(Memset.warm(bytes: 256 << 20)), memsetCold = perEight(Memset.cold(bytes: 256 << 20))
    let ns = { (t: Double) in t / Double(written) * 1e9 }
    print("storm \(kind.rawValue) lazy=\(lazy): \(written) descriptors; memset \(fmt(memsetWarm, 3)) ns / 8 B, first-touch \(fmt(memsetCold, 3))")
    print("  cold: \(fmt(cold))s, \(fmt(ns(cold), 2)) ns per descriptor → \(verdict(ns(cold) / memsetCold, 5)) to first-touch memset")
    print("  warm: \(fmt(warm))s (best of \(option("repeats", 3))), \(fmt(ns(warm), 2)) ns per descriptor → \(verdict(ns(warm) / memsetWarm, 5))")

default:
    fail("mode must be build, repaint or storm, got '\(mode)'")
}
