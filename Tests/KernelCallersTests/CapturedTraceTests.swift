import Testing
import Foundation
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

// Replay meets capture: ftrace and bpftrace output read as op traces, vmalloc addresses
// turned into areas, and the real trace of Tests/Fixtures/real-trace (README there).

private func fixture(_ boot: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/real-trace/\(boot)/trace.txt").path
}

/// The on-kf100 boot's machine: 4 GiB at PA 0x4000_0000, the early kfence pool in the top
/// 2 MiB (kvars.txt of Tests/Fixtures/real-kernel/on-kf100: __kfence_pool 0xffff0000ffe00000).
private func onKf100() throws -> MachineLayout {
    try MachineLayout(name: "on-kf100", banks: [PhysRange(start: 0x4000_0000, size: 4 * GiB)],
                      kfencePool: PhysRange(start: 0x1_4000_0000 - 2 * MiB, size: 2 * MiB))
}

@Test func theCapturedBootTraceReplaysWithTheCountsItsLinesGive() throws {
    let path = fixture("on-kf100")
    let trace = try OpTrace.parse(path: path)
    // Counted in trace.txt by hand (grep/awk over the event lines): 40 set_memory_valid with
    // enable=0, one page each (kfence frees in the pool); brd and minix: 8 set_memory_ro of 13
    // pages, 6 set_memory_nx of 10, 4 set_memory_x of 9, at 10 distinct area bases; 14 vfree
    // events, 7 of them (2 init areas per module, 3 of brd at rmmod) freeing those areas.
    func count(_ op: OpTrace.Op) -> Int { trace.records.filter { $0.op == op }.count }
    func pages(_ op: OpTrace.Op) -> UInt64 { trace.records.filter { $0.op == op }.reduce(0) { $0 + $1.size } / 4096 }
    #expect(trace.records.count == 75)
    #expect([count(.setMemoryInvalid), count(.setMemoryRO), count(.setMemoryNX), count(.setMemoryX), count(.vmalloc), count(.vfree)] as [Int]
            == [40, 8, 6, 4, 10, 7])
    #expect([pages(.setMemoryInvalid), pages(.setMemoryRO), pages(.setMemoryNX), pages(.setMemoryX)] as [UInt64] == [40, 13, 10, 9])
    // Each area's pages, in the order the trace first changes them (brd's five, then minix's).
    #expect(trace.records.filter { $0.op == .vmalloc }.map { $0.size / 4096 } as [UInt64] == [1, 1, 2, 1, 1, 1, 2, 3, 6, 1])

    let layout = try onKf100()
    try trace.check(against: layout, file: path)
    let pt = try buildMap(layout)
    let fresh = pt.leafHistogram()
    let pool = layout.va(ofPA: layout.kfencePool!.start)..<layout.va(ofPA: layout.kfencePool!.end)
    let perms = Permissions(pt: pt, context: context { $0.rodataFull = false; $0.kfencePool = pool }, walker: .leaf,
                            vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
    #expect(try trace.replay(perms, layout: layout, file: path) == 0)
    // rodata=on: no linear alias changes; every set_memory_* call flushes its own pages one
    // TLBI each (all below 512 pages): 40 + 13 + 10 + 9. Each vfree of a VM_FLUSH_RESET_PERMS
    // area flushes from the lowest alias to the area, far past 512 pages: flush_tlb_all.
    #expect(pt.counters.tlbiPage == 72)
    #expect(pt.counters.tlbiAll == 7)
    #expect(pt.counters.tlbiRange == 0)
    // The 40 pool pages went invalid where the early pool is PTE-mapped, so nothing split: only
    // the PTE count moves, by -40 and +9 for the three minix areas still mapped (6 + 2 + 1 pages).
    var expected = fresh
    expected.pte += -40 + 9
    #expect(pt.leafHistogram() == expected)
}

@Test func theRodataFullTraceChangesEachROAreasAliasesToo() throws {
    let path = fixture("full")
    let trace = try OpTrace.parse(path: path)
    // The same module loads under rodata=full, no kfence (trace.txt, by hand): 8 set_memory_ro
    // of 13 pages, 6 set_memory_nx of 10, 4 set_memory_x of 9 on the 10 areas; 7 of the 18
    // vfree events free them.
    #expect(trace.records.count == 8 + 6 + 4 + 10 + 7)
    #expect(trace.records.filter { $0.op == .setMemoryRO }.reduce(0) { $0 + $1.size } == 13 * 4096)
    let layout = try singleLayout()
    let pt = try buildMap(layout, mode: .pte)
    let fresh = pt.leafHistogram()
    let perms = Permissions(pt: pt, context: context { $0.rodataFull = true }, walker: .leaf,
                            vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
    #expect(try trace.replay(perms, layout: layout, file: path) == 0)
    // Each call flushes its 32 area pages in all; each set_memory_ro also changes the alias of
    // every page of its area, one page flush each (the areas are the ranges set_memory_ro
    // covers: 13 pages). The 7 vfrees flush all. The map is PTE-mapped: nothing splits, only
    // the 9 pages of minix's live areas are new leaves.
    #expect(pt.counters.tlbiPage == 32 + 13)
    #expect(pt.counters.tlbiAll == 7)
    var expected = fresh
    expected.pte += 9
    #expect(pt.leafHistogram() == expected)
}

@Test func ftraceFilesAndBpftraceBannersAreRead() throws {
    let text = """
        # tracer: nop
        #
        #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
        #              | |         |   |||||     |         |
                  insmod-142     [000] d....     6.555585: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000 n=0x2
                  insmod-142     [000] d....     6.557705: setnx: (set_memory_nx+0x0/0x38) addr=0xffff80007ab35000 n=2
                  <idle>-0       [001] dNs..     3.094506: setvalid: (set_memory_valid+0x0/0x58) addr=0xffff0000ffe08000 n=0x1 enable=0x0
             kworker/1:1-32      [001] ....      1.566432: setvalid: (set_memory_valid+0x0/0x58) addr=0xffff0000ffe08000 n=0x1 enable=0x1
             kworker/u8:1-14     [000] d....     1.0: split: (split_kernel_leaf_mapping+0x0/0x100) start=0xffff000080000000 end=0xffff000080200000
                  insmod-142     [000] d....     6.56: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab40000 n=0x0
                  <idle>-0       [000] d.s..     6.6: vfree: (vfree+0x0/0x2f8) addr=0xffff80007ab34000
             kworker/0:0-9       [000] d....     6.7: vfree: (vfree+0x0/0x2f8) addr=0x0
             kworker/0:0-9       [000] d....     6.8: vfree: (vfree+0x0/0x2f8) addr=0xffff80007ab34000
        """
    let trace = try OpTrace.parse(text: text)
    let area = 1
    #expect(trace.records == [
        // The first range makes area 1 (2 pages); the second reaches one page past it: the area grows.
        .init(op: .vmalloc, start: 0, size: 3 * 4096, context: .task, line: 5, startColumn: 84, area: area, backing: .scattered(seed: 1)),
        .init(op: .setMemoryRO, start: 0, size: 8192, context: .task, line: 5, startColumn: 84, area: area),
        .init(op: .setMemoryNX, start: 4096, size: 8192, context: .task, line: 6, startColumn: 84, area: area),
        .init(op: .setMemoryInvalid, start: 0xffff_0000_ffe0_8000, size: 4096, context: .softirq, line: 7, startColumn: 90),
        .init(op: .setMemoryValid, start: 0xffff_0000_ffe0_8000, size: 4096, context: .task, line: 8, startColumn: 90),
        .init(op: .split, start: 0xffff_0000_8000_0000, size: 2 * MiB, context: .task, line: 9, startColumn: 92),
        // n=0 does nothing; the softirq vfree defers to the task one; vfree(NULL) is a no-op.
        .init(op: .vfree, start: 0, size: 0, context: .task, line: 13, startColumn: 72, area: area),
    ])
    let csv = "Attaching 3 probes...\nop,start,size,context\nset_memory_ro,0xffff800080a00000,8192,task\nvfree,0xffff800080a00000,,task\n"
    #expect(try OpTrace.parse(text: csv).records.map(\.op) == [.vmalloc, .setMemoryRO, .vfree])
}

@Test(arguments: [
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000\n", 1, 32, "needs the argument n="),
    ("  a-1 [000] d.... 1.0: k: (kfree+0x0/0x38) addr=0xffff80007ab34000\n", 1, 28, "probed symbol 'kfree' is not one replay reads"),
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000 n=0x1\nCPU:1 [LOST 12 EVENTS]\n", 2, 1, "lost events"),
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000 n=0x1\nop,start,size,context\n", 2, 1, "not an ftrace kprobe event line"),
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34100 n=0x1\n", 1, 56, "not page-aligned"),
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000 n=zz\n", 1, 80, "not a hexadecimal (0x…) or decimal number"),
    ("  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab34000 n=0x2\n  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab38000 n=0x1\n  a-1 [000] d.... 1.0: setro: (set_memory_ro+0x0/0x38) addr=0xffff80007ab30000 n=0x10\n", 3, 56, "meets 2 live vmalloc areas"),
    ("op,start,size,context\nvfree,0xffff000080000000,,task\n", 2, 7, "vfree takes an area: area:ID or a vmalloc address"),
] as [(String, Int, Int, String)])
func badCapturedLinesGiveOneLineErrors(text: String, line: Int, column: Int, fragment: String) {
    do {
        _ = try OpTrace.parse(text: text, file: "t.txt")
        Issue.record("parsed: \(text)")
    } catch {
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    }
}
