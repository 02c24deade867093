import Foundation
import Testing
import TLBModel

/// `--trace perf:FILE`: hand-made dumps in the formats perf prints.
@Suite struct PerfTraceTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("perf-\(UUID()).txt").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `perf script -F addr`: "%16" PRIx64, so short (user) addresses have leading spaces.
    @Test func perfScriptAddrLines() throws {
        let path = try Self.file("""
            ffff000040001008
                    aaaad0c0
            ffff800080123450
                           0
            ffff000040002010

            3aff000040003018
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var t = try ReplayTrace(perfFile: path)
        // The tagged address (top byte 0x3a, bit 55 set) is the linear map's 0xffff000040003018.
        #expect((0..<4).map { _ in t.next() } == [0xffff_0000_4000_1008, 0xffff_0000_4000_2010, 0xffff_0000_4000_3018, 0xffff_0000_4000_1008])
        var census = PerfCensus()
        (census.linear, census.user, census.kernelOther) = (3, 2, 1)
        #expect(t.census == census)
    }

    /// `perf mem report -D`: ADDR printed "0x016" then the digits without -x; "0x" with it.
    @Test(arguments: [
        """
        # PID, TID, IP, ADDR, LOCAL WEIGHT, DSRC, SYMBOL
         1234  1234 0xffff8000803a1b2c 0x016ffff000041230008    32 0x68100142 [kernel.kallsyms]:memcpy
         1234  1235 0x0000aaaab0001000 0x016ffffc0001000    12 0x68100142 /usr/bin/memcached:do_item_get
           -1    -1 0xffff8000803a1b2c 0x016ffff000041238010     7 0x68100142 [kernel.kallsyms]:tcp_sendmsg
         1234  1234 0x0000aaaab0001000 0x016ffff800081000000     5 0x68100142 [kernel.kallsyms]:schedule
        """,
        """
        # PID, TID, IP, ADDR, LOCAL WEIGHT, DSRC, SYMBOL
        1234,1234,0xffff8000803a1b2c,0xffff000041230008,32,0x68100142,[kernel.kallsyms]:memcpy
        1234,1235,0xaaaab0001000,0xffffc0001000,12,0x68100142,/usr/bin/memcached:do_item_get
        -1,-1,0xffff8000803a1b2c,0xffff000041238010,7,0x68100142,[kernel.kallsyms]:tcp_sendmsg
        1234,1234,0xaaaab0001000,0xffff800081000000,5,0x68100142,[kernel.kallsyms]:schedule
        """,
    ])
    func perfMemDumpLines(_ text: String) throws {
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try ReplayTrace(perfFile: path)
        #expect(t.addresses == [0xffff_0000_4123_0008, 0xffff_0000_4123_8010])
        #expect(t.census?.user == 1 && t.census?.kernelOther == 1 && t.census?.linear == 2)
    }

    @Test(arguments: [
        ("ffff000040001008\nffff00004000zz08\n", 2),
        ("# PID, TID, IP, ADDR, LOCAL WEIGHT, DSRC, SYMBOL\n 1 1 0xffff800080000000 0x016ffff000040000000 1 0x1 a:b\n 1 1 0xffff8000 nope 1 0x1 a:b\n", 3),
        ("# PID, TID, IP, ADDR, LOCAL WEIGHT, DSRC, SYMBOL\n1,1,0xffff800080000000\n", 2),
    ])
    func malformedLinesNameFileAndLine(_ text: String, line: Int) throws {
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: TLBModelError.self) { try ReplayTrace(perfFile: path) }
        #expect(error.description.hasPrefix("--trace: perf:\(path):\(line): "), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test func aCaptureWithoutLinearAddressesIsRefused() throws {
        let path = try Self.file("    aaaad0c0\nffff800080123450\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: TLBModelError.self) { try ReplayTrace(perfFile: path) }
        #expect(error.description == "--trace: perf:\(path) holds no linear-map data address (1 user, 1 other kernel addresses)")
    }
}
