import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ReportCommandTests {
    /// 'single', 2 GiB, block mode, derived by hand from spec §5: RAM at PA 0x4000_0000 is
    /// PAGE_OFFSET; [0, 2M) one PMD block, the kernel alias [2M, 33M+64K) blocks without CONT
    /// to 32M then 272 plain pages, PAGE_KERNEL (MEM/NORMAL); [33M+64K, 34M) CONT pages;
    /// [34M, 64M) 15 plain blocks (their 32M chunk is not whole); [64M, 1G) CONT blocks;
    /// [1G, 2G) one PUD block — RAM pgprot_tagged (MEM/NORMAL-TAGGED); then the empty rest
    /// of the region to PAGE_END.
    static let expected = """
        ---[ Linear Mapping start ]---
        0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000000200000-0xffff000002000000          30M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL
        0xffff000002000000-0xffff000002110000        1088K PTE       RW NX SHD AF            UXN    MEM/NORMAL
        0xffff000002110000-0xffff000002200000         960K PTE       RW NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED
        0xffff000002200000-0xffff000004000000          30M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000004000000-0xffff000040000000         960M PMD       RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED
        0xffff000040000000-0xffff000080000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000080000000-0xffff008000000000         510G PUD
        0xffff008000000000-0xffff800000000000      130560G PGD
        ---[ Linear Mapping end ]---

        """

    @Test func ptdumpOfASmallMapMatchesTheHandWrittenText() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--mode", "block"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expected)
    }

    /// The repaint keeps [lm_alias(_stext), lm_alias(__init_begin)): the alias's first
    /// block, holding [_text, _stext), is split with the rest; 14 blocks stay.
    @Test func ptdumpAfterARepaintShowsOnlyPagesBesideTheAlias() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--scenario", "repaint"])
        let lines = r.stdout.split(separator: "\n").dropFirst().dropLast().dropLast(2)  // markers, holes
        #expect(Array(lines) == [
            "0xffff000000000000-0xffff000000200000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED",
            "0xffff000000200000-0xffff000000400000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL",
            "0xffff000000400000-0xffff000002000000          28M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL",
            "0xffff000002000000-0xffff000002110000        1088K PTE       RW NX SHD AF            UXN    MEM/NORMAL",
            "0xffff000002110000-0xffff000080000000     2063296K PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED",
        ])
    }

    @Test func ptdumpWithKPTIShowsNGEverywhere() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--mode", "block", "--kpti", "on"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expected.replacingOccurrences(of: " AF    ", with: " AF NG "))
    }

    @Test func plotWritesSVGThatParses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plots-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let csv = dir.appendingPathComponent("runs.csv").path
        let sweep = try BenchProcess.run(["sweep", "--scenario", "perm", "--memory", "1G", "--requests", "20",
                                          "--walker", "leaf,range", "--lazy", "on,off", "--quiet", "--csv", csv])
        #expect(sweep.status == 0)
        let plot = try BenchProcess.run(["plot", "--input", csv, "--output", dir.path])
        #expect(plot.status == 0)
        let svg = dir.appendingPathComponent("barriers-perm.svg")
        let parser = try #require(XMLParser(contentsOf: svg))
        #expect(parser.parse())
        let text = try String(contentsOf: svg, encoding: .utf8)
        #expect(text.contains("<svg") && text.contains("leaf") && text.contains("lazy off"))
    }

    @Test func plotOfAMissingFileIsAOneLineError() throws {
        let r = try BenchProcess.run(["plot", "--input", "/nonexistent.csv"])
        #expect(r.status == 1 && r.stderr.hasPrefix("bench: --input:") && r.stderr.split(separator: "\n").count == 1)
    }
}
