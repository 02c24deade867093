import Testing
import Foundation
import PageTableModel
import LinearMap
import KernelCallers

private func hex(_ va: UInt64) -> String { "0x" + String(va, radix: 16) }

@Test func replayMatchesDirectCalls() throws {
    let layout = try singleLayout()
    let a = pageOffset + 2 * GiB + 0x123_4000, b = pageOffset + 3 * GiB + 64 * MiB, c = pageOffset + 1 * GiB + 5 * MiB
    let text = """
        # a small trace
        op,start,size,context
        set_memory_ro,\(hex(a)),4096,task
        split, \(hex(c)) ,64K,task
        set_memory_rw,\(hex(a)),4096,task
        set_memory_ro,\(hex(b)),2M,softirq

        set_memory_invalid,\(hex(c)),0x2000,softirq
        set_memory_valid,\(hex(c)),8192,task
        set_direct_map_invalid_noflush,\(hex(c)),4096,task
        set_direct_map_default_noflush,\(hex(c)),4096,softirq

        """
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("callers-trace-\(getpid()).csv").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }

    let trace = try OpTrace.parse(path: path)
    #expect(trace.records.count == 8)
    #expect(trace.records[1] == .init(op: .split, start: c, size: 64 * KiB, context: .task, line: 4))
    let replayed = try buildMap(layout)
    try trace.replay(Permissions(pt: replayed, walker: .leaf), file: path)

    let direct = try buildMap(layout)
    let perms = Permissions(pt: direct, walker: .leaf)
    try perms.setMemoryRO(a, pages: 1)
    try perms.walker.split(direct, from: c, to: c + 64 * KiB)
    try perms.setMemoryRW(a, pages: 1)
    try direct.inSoftirq { try perms.setMemoryRO(b, pages: 512) }
    try direct.inSoftirq { try perms.setMemoryValid(c, pages: 2, enable: false) }
    try perms.setMemoryValid(c, pages: 2, enable: true)
    try perms.setDirectMapInvalidNoflush(c)
    try direct.inSoftirq { try perms.setDirectMapDefaultNoflush(c) }

    #expect(replayed.counters == direct.counters)
    #expect(replayed.allocator.allocated(.pte) == direct.allocator.allocated(.pte))
    #expect(direct.firstMismatch(with: replayed, from: layout.linearStart, to: layout.linearEnd) == nil)
    // The softirq records really ran outside lazy mode: more pairs than all in task context.
    let allTask = try buildMap(layout)
    try OpTrace.parse(text: text.replacingOccurrences(of: "softirq", with: "task"))
        .replay(Permissions(pt: allTask, walker: .leaf))
    #expect(allTask.counters.isb < replayed.counters.isb)
}

@Test(arguments: [
    ("op,start,size\n", 1, 1, "header"),
    ("op,start,size,context\nset_memory_xx,0x1000,4096,task\n", 2, 1, "unknown op 'set_memory_xx'"),
    ("op,start,size,context\nsplit,0xzz,4096,task\n", 2, 7, "not a hexadecimal address"),
    ("op,start,size,context\nsplit,0x1800,4096,task\n", 2, 7, "not page-aligned"),
    ("op,start,size,context\nsplit,0x1000,  12x,task\n", 2, 16, "not a byte count"),
    ("op,start,size,context\nsplit,0x1000,100,task\n", 2, 14, "multiple of 4096"),
    ("op,start,size,context\n\nsplit,0x1000,4096,hardirq\n", 3, 19, "neither task nor softirq"),
    ("op,start,size,context\nsplit,0x1000,4096\n", 2, 18, "expected 4 fields"),
    ("op,start,size,context\nsplit,0x1000,4096,task,extra\n", 2, 24, "expected 4 fields"),
    ("", 1, 1, "no header"),
] as [(String, Int, Int, String)])
func badLinesGiveOneLineErrors(text: String, line: Int, column: Int, fragment: String) {
    do {
        _ = try OpTrace.parse(text: text, file: "t.csv")
        Issue.record("parsed: \(text)")
    } catch {
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.description.hasPrefix("t.csv:\(line):\(column): "))
        #expect(error.description.contains(fragment), "\(error)")
        #expect(!error.description.contains("\n"))
    }
}

@Test func replayNamesTheFailingLine() throws {
    let pt = try buildMap(try singleLayout())
    pt.allocator.failure = .after(0)
    let trace = try OpTrace.parse(text: "op,start,size,context\nsplit,\(hex(pageOffset + 2 * GiB + 0x1000)),4096,task\n")
    #expect(throws: OpTraceError(file: "x.csv", line: 2, column: nil, message: "split failed: ENOMEM")) {
        try trace.replay(Permissions(pt: pt, walker: .leaf), file: "x.csv")
    }
}

@Test func unreadableFile() {
    #expect(throws: OpTraceError.self) { try OpTrace.parse(path: "/nonexistent/trace.csv") }
}
