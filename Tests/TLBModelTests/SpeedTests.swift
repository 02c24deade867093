import Foundation
import LinearMap
import PageTableModel
import Testing
import TLBModel

/// Accesses per second, printed for the record (never asserted). Run in release:
/// `TLB_SPEED=1 swift test -c release --filter SpeedTests` (TLB_SPEED_GIB sets the
/// map, 256 by default; TLB_SPEED_ONLY picks scenarios by name).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TLB_SPEED"] != nil))
struct SpeedTests {
    static let gib = UInt64(ProcessInfo.processInfo.environment["TLB_SPEED_GIB"] ?? "") ?? 256

    static func measure<G: TraceGenerator>(_ name: String, _ pt: PageTable, _ trace: G, count: Int = 50_000_000) throws {
        if let only = ProcessInfo.processInfo.environment["TLB_SPEED_ONLY"], !name.contains(only) { return }
        var trace = trace
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        tlb.run(&trace, count: count / 10)  // warm up
        tlb.resetMetrics()
        // Thread CPU time: other jobs share the machine.
        let start = Self.cpuNanoseconds()
        tlb.run(&trace, count: count)
        let seconds = Double(Self.cpuNanoseconds() - start) / 1e9
        let m = tlb.metrics
        print(String(format: "%-34@ %7.1f M accesses/CPU-s  L1 hit %5.1f%%  mpki %7.2f  walk_refs/walk %.2f", name as NSString,
                     Double(count) / seconds / 1e6, 100 - Double(m.l1dTLBRefill) * 100 / Double(count), m.mpkiProxy,
                     Double(m.walkRefs) / Double(max(m.dtlbWalk, 1))))
        #expect(m.tlbAccesses == count)
        #expect(m.l2dTLBRefill == m.dtlbWalk)
        #expect(m.faults == 0)
    }

    static func cpuNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    @Test func accessesPerSecond() throws {
        let modes = ProcessInfo.processInfo.environment["TLB_SPEED_MODE"].flatMap(MappingMode.init(rawValue:)).map { [$0] } ?? [.pte, .block]
        for mode in modes {
            let (pt, layout) = try TestMaps.build(mode, gib: Self.gib)
            let space = AddressSpace(layout: layout)
            let tag = "\(Self.gib)G \(mode.rawValue)"
            try Self.measure("\(tag) sequential 64B", pt, SequentialTrace(space: space, seed: 1))
            try Self.measure("\(tag) hot-set 128K", pt, HotSetTrace(space: space, bytes: 128 << 10, seed: 1))
            try Self.measure("\(tag) hot-set 64M", pt, HotSetTrace(space: space, bytes: 64 << 20, seed: 1))
            try Self.measure("\(tag) uniform", pt, UniformTrace(space: space, seed: 1), count: 20_000_000)
            try Self.measure("\(tag) zipf 0.99", pt, ZipfTrace(space: space, exponent: 0.99, seed: 1), count: 20_000_000)
            try Self.measure("\(tag) memcached", pt, MemcachedTrace(space: space, seed: 1), count: 20_000_000)
        }
    }
}
