import Foundation
import LinearMap
import PageTableModel
import Testing
import TLBModel

/// Accesses the map does not translate are faults: never hits, walks or refills.
@Suite struct FaultTests {
    @Test func lowAddressesFaultInsteadOfWalkingTheirKernelAlias() throws {
        let (pt, layout) = try TestMaps.build(.block)
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        let va = layout.linearStart + 0x4000_1000, alias = va & 0x0000_ffff_ffff_ffff
        let before = pt.counters
        #expect(tlb.access(alias) == .fault)
        #expect(tlb.access(va) == .walk(reads: 2))
        #expect(tlb.access(alias) == .fault, "a kernel entry covering the alias's index bits is no hit")
        #expect(tlb.access(0) == .fault)
        let m = tlb.metrics
        #expect(m.faults == 3 && m.dtlbWalk == 1 && m.walksByDepth == [0, 1, 0, 0] && m.tlbAccesses == 4)
        #expect(m.refills == [1, 1])
        #expect(pt.counters == before)
    }

    @Test func aReplayedLowTraceIsAllFaults() throws {
        let (pt, layout) = try TestMaps.build(.pte, gib: 1)
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        // The kernel half's lowest address, and what aliases it and its neighbours.
        var trace = try ReplayTrace(addresses: (0..<64).map { UInt64($0) << 12 } + [0x1_0000_0000_0000 - 4096])
        tlb.run(&trace, count: 650)
        var m = tlb.metrics
        #expect(m.faults == 650 && m.dtlbWalk == 0 && m.walkRefs == 0 && m.refills == [0, 0])
        var valid = try ReplayTrace(addresses: (0..<64).map { layout.linearStart + UInt64($0) << 12 })
        tlb.run(&valid, count: 64)
        m = tlb.metrics
        // Four-page coalescing: one walk per 16 KiB.
        #expect(m.faults == 650 && m.dtlbWalk == 16 && m.tlbAccesses == 714)
    }

    @Test func bankHolesAndTheUpperHalfFault() throws {
        let layout = try MachineLayout.builtin("numa2", memory: 2 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let tlb = try SimulatedTLB(.n1)
        tlb.attach(to: pt)
        let hole = layout.va(ofPA: layout.banks[0].end) + (1 << 30)
        #expect(tlb.access(hole) == .fault)
        #expect(tlb.access(LinearMapRange.end) == .fault)
        #expect(tlb.access(layout.va(ofPA: layout.banks[1].start)) == .walk(reads: 2))
        #expect(tlb.metrics.faults == 2)
    }

    private func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tlb-trace-\(UUID()).txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: ["\r\n", "\n"])
    func traceFilesTakeCRLFABOMBlankLinesAndComments(newline: String) throws {
        let path = try file("\u{FEFF}# recorded\(newline)0xffff000040001000\(newline)\(newline)  # indented comment\(newline)FFFF000040002008\t\(newline)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ReplayTrace(contentsOfFile: path).addresses == [0xffff_0000_4000_1000, 0xffff_0000_4000_2008])
    }

    @Test(arguments: [("0x1000\r\nzz\r\n", 2, "zz"), ("0x1000\n0x+1000\n", 2, "0x+1000"), ("\u{FEFF}12\r3\n", 1, #"12\r3"#),
                      ("0x1000\n\n0xffff0000000000000\n", 3, "0xffff0000000000000"), ("1\u{1B}[2J\n", 1, #"1\u{1B}[2J"#)])
    func aBadLineIsOneLineNamingFileAndLine(text: String, line: Int, echo: String) throws {
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TLBModelError("--trace: \(path):\(line): '\(echo)' is not a hexadecimal address; expected one VA per line, such as 0xffff000012345000")) {
            try ReplayTrace(contentsOfFile: path)
        }
    }

    @Test func errorsStayOnOneLine() {
        #expect(TLBModelError("--trace: a\nb\rc").description == #"--trace: a\nb\rc"#)
    }

    @Test func zipfOverMoreThan2To32PagesIsAnErrorNotATrap() throws {
        let space = AddressSpace(ranges: [(LinearMapRange.start, LinearMapRange.start + (32 << 40))])
        #expect(throws: TLBModelError("--memory: the zipf trace scatters ranks over at most 2^32 pages; use at most 16T")) {
            try ZipfTrace(space: space, exponent: 1, seed: 0)
        }
        _ = try ZipfTrace(space: space, exponent: 1, scattered: false, seed: 0)
        _ = try ZipfTrace(space: AddressSpace(ranges: [(LinearMapRange.start, LinearMapRange.start + (16 << 40))]), exponent: 1, seed: 0)
    }

    @Test(arguments: [UInt64.max, UInt64.max - 4095, 1 << 63, (1 << 30) + 1] as [UInt64])
    func workingSetsNear2To64AreRefused(bytes: UInt64) {
        let space = AddressSpace(ranges: [(LinearMapRange.start, LinearMapRange.start + (1 << 30))])
        #expect(throws: TLBModelError("--working-set: \(bytes) bytes must be positive and fit in one memory bank (at most 1G)")) {
            try HotSetTrace(space: space, bytes: bytes, seed: 0)
        }
    }
}
