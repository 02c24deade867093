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
    #expect(trace.records[1] == .init(op: .split, start: c, size: 64 * KiB, context: .task, line: 4, startColumn: 8))
    try trace.check(against: layout, file: path)
    let replayed = try buildMap(layout)
    // set_memory_ro/rw take vmalloc areas only: the three linear-address records fail
    // with EINVAL (counted), before they touch anything, and the replay goes on.
    #expect(throws: OpTraceError.self) { try trace.replay(Permissions(pt: try buildMap(layout), walker: .leaf), file: path) }
    #expect(try trace.replay(Permissions(pt: replayed, walker: .leaf), file: path, stopOnError: false) == 3)

    let direct = try buildMap(layout)
    let perms = Permissions(pt: direct, walker: .leaf)
    #expect(throws: KernelError.einval) { try perms.setMemoryRO(a, pages: 1) }
    try perms.walker.split(direct, from: c, to: c + 64 * KiB)
    #expect(throws: KernelError.einval) { try perms.setMemoryRW(a, pages: 1) }
    #expect(throws: KernelError.einval) { try direct.inSoftirq { try perms.setMemoryRO(b, pages: 512) } }
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
        .replay(Permissions(pt: allTask, walker: .leaf), stopOnError: false)
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
    ("op,start,size,context\nsplit,+1000,4096,task\n", 2, 7, "'+1000' is not a hexadecimal address such as 0xffff000040000000"),
    ("op,start,size,context\nsplit,0x10000000000000000,4096,task\n", 2, 7, "not a hexadecimal address"),
    ("op,start,size,context\nsplit,0x1000,16384P,task\n", 2, 14, "size '16384P' is not a byte count; use a byte count such as 4096, 2M, 256G or 0x200000, below 2^64"),
    ("op,start,size,context\nsplit,0xfffffffffffff000,4096,task\n", 2, 26, "start + size overflows"),
    ("op,start,size,context\r\nsplit,0x1000,4096,task\r\r\n", 2, 19, #"context 'task\r' is neither task nor softirq"#),
    ("op,start,size,context\rsplit,0x1000,4096,task\r", 1, 1, "expected the header"),
    ("op,start,size,context\nsplit\u{1B}[2J,0x1000,4096,task\n", 2, 1, #"unknown op 'split\u{1B}[2J'"#),
] as [(String, Int, Int, String)])
func badLinesGiveOneLineErrors(text: String, line: Int, column: Int, fragment: String) {
    do {
        _ = try OpTrace.parse(text: text, file: "t.csv")
        Issue.record("parsed: \(text)")
    } catch {
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.description.hasPrefix("t.csv:\(line):\(column): "))
        #expect(error.description.contains(fragment), "\(error)")
        #expect(!error.description.contains(where: \.isNewline) && !error.description.unicodeScalars.contains("\u{1B}"))
    }
}

@Test(arguments: ["\r\n", "\n"], [true, false])
func tracesTakeCRLFAndAByteOrderMark(newline: String, bom: Bool) throws {
    let a = hex(pageOffset + 2 * GiB)
    let text = (bom ? "\u{FEFF}" : "") + ["# recorded", "op,start,size,context", "", "split,\(a),4096,task", "  # note", "set_memory_ro, \(a) ,8K,softirq", ""]
        .joined(separator: newline)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("callers-crlf-\(UUID()).csv").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for trace in [try OpTrace.parse(path: path), try OpTrace.parse(text: text)] {
        #expect(trace.records == [
            .init(op: .split, start: pageOffset + 2 * GiB, size: 4096, context: .task, line: 4, startColumn: 7),
            .init(op: .setMemoryRO, start: pageOffset + 2 * GiB, size: 8 * KiB, context: .softirq, line: 6, startColumn: 16),
        ])
    }
}

@Test(arguments: [
    ("set_memory_valid,0x0,4096,task", 18, "start 0x0 is outside the linear map [0xffff000000000000, 0xffff800000000000)"),
    // Below VMALLOC_END a set_memory_ro address is a captured vmalloc area (CapturedTraceTests); the vmemmap is not.
    ("set_memory_ro,0xfffffc0000000000,4096,task", 15, "start 0xfffffc0000000000 is outside the linear map [0xffff000000000000, 0xffff800000000000)"),
    ("split, 0xfffefffffffff000,8K,task", 8, "start 0xfffefffffffff000 is outside the linear map [0xffff000000000000, 0xffff800000000000)"),
    ("split,0xffff7ffffffff000,8K,task", 7, "start 0xffff7ffffffff000 + size 0x2000 runs past the linear map's end 0xffff800000000000"),
    ("split,0xffff000100000000,4096,task", 7, "[0xffff000100000000, 0xffff000100001000) is not all RAM; the memory banks map [0xffff000000000000, 0xffff000100000000)"),
    ("split,0xffff0000fffff000,8K,task", 7, "[0xffff0000fffff000, 0xffff000100001000) is not all RAM; the memory banks map [0xffff000000000000, 0xffff000100000000)"),
] as [(String, Int, String)])
func opsOutsideRAMFailTheCheckNamingTheirStart(op: String, column: Int, message: String) throws {
    let trace = try OpTrace.parse(text: "op,start,size,context\n# ok\n\(op)\n", file: "trace.csv")
    let error = OpTraceError(file: "trace.csv", line: 3, column: column, message: message)
    #expect(throws: error) { try trace.check(against: try singleLayout(), file: "trace.csv") }
    #expect(error.description == "trace.csv:3:\(column): \(message)")
}

@Test func theCheckKnowsBankHolesAndJoinsAdjacentBanks() throws {
    let numa = try MachineLayout.builtin("numa2", memory: 2 * GiB)
    let straddle = try OpTrace.parse(text: "op,start,size,context\nsplit,\(hex(pageOffset + GiB - 4096)),8K,task\n")
    #expect(throws: OpTraceError(file: "n.csv", line: 2, column: 7, message: "[0xffff00003ffff000, 0xffff000040001000) is not all RAM; "
        + "the memory banks map [0xffff000000000000, 0xffff000040000000), [0xffff010000000000, 0xffff010040000000)")) {
        try straddle.check(against: numa, file: "n.csv")
    }
    let adjacent = try MachineLayout(name: "two", banks: [PhysRange(start: 2 * GiB, size: GiB), PhysRange(start: 3 * GiB, size: GiB)])
    try straddle.check(against: adjacent)
}

@Test func aLowOpReplayedUncheckedIsEINVALAndLeavesPageOffsetAlone() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let trace = try OpTrace.parse(text: "op,start,size,context\nset_memory_ro,0x0,4096,task\n")
    #expect(throws: OpTraceError(file: "x.csv", line: 2, column: nil, message: "set_memory_ro failed: EINVAL")) {
        try trace.replay(Permissions(pt: pt, walker: .leaf), file: "x.csv")
    }
    #expect(pt.translate(pageOffset)!.attributes & Descriptor.write != 0)
    #expect(pt.firstMismatch(with: try buildMap(layout), from: layout.linearStart, to: layout.linearEnd) == nil)
}

@Test func aHandBuiltWrappingRecordIsRefusedNotATrap() throws {
    let layout = try singleLayout()
    let wrapping = OpTrace(records: [.init(op: .split, start: pageOffset + 0x1000, size: 0xffff_ffff_ffff_f000, context: .task, line: 1)])
    #expect(throws: OpTraceError(file: "w", line: 1, column: nil,
                                 message: "start 0xffff000000001000 + size 0xfffffffffffff000 runs past the linear map's end 0xffff800000000000")) {
        try wrapping.check(against: layout, file: "w")
    }
    #expect(throws: OpTraceError(file: "w", line: 1, column: nil, message: "split failed: EINVAL")) {
        try wrapping.replay(Permissions(pt: try buildMap(layout), walker: .pagewalk), file: "w")
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
