import Foundation
import LinearMap
import PageTableModel
import Testing
import TLBModel

/// Accesses per second, printed for the record (never asserted). Run in release:
/// `TLB_SPEED=1 swift test -c release --filter SpeedTests` (TLB_SPEED_GIB sets the
/// map, 256 by default; TLB_SPEED_ONLY picks scenarios by name; TLB_SPEED_SCALE divides
/// the access counts, e.g. for callgrind). Floors printed alongside: the trace alone, the
/// trace plus a bare walk of the same tables, and 4 dependent random loads over 512 MiB.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TLB_SPEED"] != nil))
struct SpeedTests {
    static let gib = UInt64(ProcessInfo.processInfo.environment["TLB_SPEED_GIB"] ?? "") ?? 256

    static let scale = Int(ProcessInfo.processInfo.environment["TLB_SPEED_SCALE"] ?? "") ?? 1

    static func measure<G: TraceGenerator>(_ name: String, _ pt: PageTable, _ trace: G, count: Int = 50_000_000) throws {
        if let only = ProcessInfo.processInfo.environment["TLB_SPEED_ONLY"], !name.contains(only) { return }
        let count = count / scale
        floors(name, pt, trace, count: count)
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
                     Double(count) / seconds / 1e6, 100 - Double(m.l1dTLBRefill) * 100 / Double(count), m.walksPer1kAccesses,
                     Double(m.walkRefs) / Double(max(m.dtlbWalk, 1))))
        #expect(m.tlbAccesses == count)
        #expect(m.l2dTLBRefill == m.dtlbWalk)
        #expect(m.faults == 0)
    }

    /// The trace alone, and the trace with a bare four-level walk of each address (no TLB).
    static func floors<G: TraceGenerator>(_ name: String, _ pt: PageTable, _ trace: G, count: Int) {
        var trace = trace, sink: UInt64 = 0
        var start = Self.cpuNanoseconds()
        for _ in 0..<count { sink ^= trace.next() }
        let traceRate = Double(count) / Double(Self.cpuNanoseconds() - start) * 1e3
        start = Self.cpuNanoseconds()
        for _ in 0..<count {
            let va = trace.next()
            var e = Descriptor.zero, table = pt.root
            for level in 0..<4 {
                e = table[Int(truncatingIfNeeded: (va >> UInt64(39 - 9 * level)) & 511)]
                guard level < 3 && e.isTable else { break }
                table = TablePage(e)
            }
            sink ^= e.raw
        }
        let walkRate = Double(count) / Double(Self.cpuNanoseconds() - start) * 1e3
        print(String(format: "%-34@ floors: trace %7.1f M/s, trace + bare walk %7.1f M/s  (%llx)", name as NSString,
                     traceRate, walkRate, sink & 0xF))
    }

    /// Walks of four dependent loads at random places in 512 MiB (the size of a
    /// 256 GiB PTE map's last-level tables): what a miss-dominated run cannot beat.
    static func dependentLoadFloor() {
        let words = 64 << 20
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { buffer.deallocate() }
        var random = TraceRandom(seed: 7)
        for i in 0..<words { buffer[i] = random.next() }
        let count = 5_000_000 / scale, mask = UInt64(words - 1)
        var sink: UInt64 = 0
        let start = Self.cpuNanoseconds()
        for _ in 0..<count {
            var x = random.next()
            for _ in 0..<4 { x = buffer[Int(truncatingIfNeeded: x & mask)] ^ x >> 7 }
            sink ^= x
        }
        let ns = Double(Self.cpuNanoseconds() - start) / Double(count)
        print(String(format: "floor: 4 dependent random loads over 512 MiB: %.1f M walks/CPU-s (%.0f ns)  (%llx)",
                     1e3 / ns, ns, sink & 0xF))
    }

    static func cpuNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    @Test func accessesPerSecond() throws {
        Self.dependentLoadFloor()
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
