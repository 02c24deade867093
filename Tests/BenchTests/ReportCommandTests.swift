import BenchHarness
import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ReportCommandTests {
    /// 'single', 2 GiB, block mode, fully booted, derived by hand from spec §5: RAM at PA
    /// 0x4000_0000 is PAGE_OFFSET; [0, 2M) one PMD block, the kernel alias [2M, 33M+64K)
    /// PAGE_KERNEL (MEM/NORMAL) made read-only (mark_linear_text_alias_ro), blocks without
    /// CONT to 32M then 272 plain pages; [33M+64K, 34M) CONT pages; [34M, 64M) 15 plain blocks
    /// (their 32M chunk is not whole); [64M, 1G) CONT blocks; [1G, 2G) one PUD block — RAM
    /// pgprot_tagged (MEM/NORMAL-TAGGED); then the empty rest of the region to PAGE_END.
    static let expected = """
        ---[ Linear Mapping start ]---
        0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000000200000-0xffff000002000000          30M PMD       ro NX SHD AF        BLK UXN    MEM/NORMAL
        0xffff000002000000-0xffff000002110000        1088K PTE       ro NX SHD AF            UXN    MEM/NORMAL
        0xffff000002110000-0xffff000002200000         960K PTE       RW NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED
        0xffff000002200000-0xffff000004000000          30M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000004000000-0xffff000040000000         960M PMD       RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED
        0xffff000040000000-0xffff000080000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED
        0xffff000080000000-0xffff008000000000         510G PUD
        0xffff008000000000-0xffff800000000000      130560G PGD
        ---[ Linear Mapping end ]---

        """

    @Test func ptdumpOfASmallMapMatchesTheHandWrittenText() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--mode", "block", "--map-mem", "classic"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expected)
    }

    /// The repaint keeps [lm_alias(_stext), lm_alias(__init_begin)): the alias's first
    /// block, holding [_text, _stext), is split with the rest; 14 blocks stay.
    @Test func ptdumpAfterARepaintShowsOnlyPagesBesideTheAlias() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--scenario", "repaint", "--map-mem", "classic"])
        let lines = r.stdout.split(separator: "\n").dropFirst().dropLast().dropLast(2)  // markers, holes
        #expect(Array(lines) == [
            "0xffff000000000000-0xffff000000200000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED",
            "0xffff000000200000-0xffff000000400000           2M PTE       ro NX SHD AF            UXN    MEM/NORMAL",
            "0xffff000000400000-0xffff000002000000          28M PMD       ro NX SHD AF        BLK UXN    MEM/NORMAL",
            "0xffff000002000000-0xffff000002110000        1088K PTE       ro NX SHD AF            UXN    MEM/NORMAL",
            "0xffff000002110000-0xffff000080000000     2063296K PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED",
        ])
    }

    @Test func ptdumpWithKPTIShowsNGEverywhere() throws {
        let r = try BenchProcess.run(["ptdump", "--memory", "2G", "--mode", "block", "--kpti", "on", "--map-mem", "classic"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expected.replacingOccurrences(of: " AF    ", with: " AF NG "))
    }

    /// A small perm sweep at two memory sizes: runs that share walker and lazy mode.
    static func permSweep(in dir: URL) throws -> String {
        let csv = dir.appendingPathComponent("runs.csv").path
        let sweep = try BenchProcess.run(["sweep", "--scenario", "perm", "--memory", "1G,2G", "--requests", "20",
                                          "--walker", "leaf,range", "--lazy", "on,off", "--quiet", "--csv", csv])
        #expect(sweep.status == 0)
        return csv
    }

    @Test func plotCreatesItsFolderAndLabelsRunsThatShareABar() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.url, output = dir.appendingPathComponent("a/b/charts")
        let plot = try BenchProcess.run(["plot", "--input", try Self.permSweep(in: dir), "--output", output.path])
        #expect(plot.status == 0 && plot.stderr.isEmpty)
        let files = ["barriers-perm.svg", "tlbi-perm.svg", "pt-alloc-perm.svg"]
        #expect(plot.stdout == files.map { output.appendingPathComponent($0).path + "\n" }.joined())
        // Each file replaced whole: no FILE.partial left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == files.sorted())
        let svg = output.appendingPathComponent("barriers-perm.svg")
        let parser = try #require(XMLParser(contentsOf: svg))
        #expect(parser.parse())
        let text = try String(contentsOf: svg, encoding: .utf8)
        // The two memory sizes label the bars; the title keeps what all runs shared.
        #expect(text.contains(">Barriers per split walker — perm, 20 requests</text>"))
        #expect(text.contains(">1 GiB</text>") && text.contains(">2 GiB</text>") && text.contains(">leaf (f12b435de2f2)</text>"))
    }

    @Test func anOutputFolderThatCannotBeMadeIsAOneLineError() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let file = try tmp.file("x", "file")
        let plot = try BenchProcess.run(["plot", "--input", try Self.permSweep(in: tmp.url), "--output", file + "/charts"])
        #expect(plot.status == 1 && plot.stderr == "bench: --output: cannot create the folder '\(file)/charts'\n")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x")
    }

    @Test func plotWritesIntoPlotsInTheCurrentFolderByDefault() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.url
        let plot = try BenchProcess.run(["plot", "--input", try Self.permSweep(in: dir)], in: dir)
        #expect(plot.status == 0 && plot.stdout.hasPrefix("plots/barriers-perm.svg\n"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("plots/tlbi-perm.svg").path))
    }

    @Test func whereKeepsOnlyRowsMatchingEveryCondition() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.url
        let plot = try BenchProcess.run(["plot", "--input", try Self.permSweep(in: dir), "--output", dir.path,
                                         "--where", "lazy=on", "--where", "memory_bytes=2G", "--title", "Lazy MMU on"])
        #expect(plot.status == 0)
        let svg = try String(contentsOf: dir.appendingPathComponent("barriers-perm.svg"), encoding: .utf8)
        #expect(svg.contains(">Lazy MMU on</text>") && !svg.contains("lazy off") && !svg.contains("1 GiB"))
        #expect(svg.contains("lazy on ·") && svg.contains(">leaf (f12b435de2f2)</text>"))
    }

    @Test(arguments: [
        (["--where", "lazzy=on"], "bench: --where: no column 'lazzy' in the CSV (see bench schema); expected COLUMN=VALUE\n"),
        (["--where", "lazy"], "bench: --where: 'lazy' is not COLUMN=VALUE, e.g. scenario=perm or memory_bytes=256G\n"),
        (["--where", "lazy=on", "--where", "walker=nope"], "bench: --where: no rows match lazy=on and walker=nope\n"),
    ])
    func badWhereIsAOneLineError(arguments: [String], message: String) throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.url
        let plot = try BenchProcess.run(["plot", "--input", try Self.permSweep(in: dir), "--output", dir.path] + arguments)
        #expect(plot.status == 1 && plot.stderr == message)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("barriers-perm.svg").path))
    }

    @Test func aPlotThatFailsLeavesTheChartsAlreadyThere() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.url
        let old = dir.appendingPathComponent("barriers-perm.svg")
        try Data("<svg>old</svg>".utf8).write(to: old)
        let csv = dir.appendingPathComponent("bad.csv")
        try Data("scenario,walker,lazy,dsb_ishst,dsb_ish,isb\nperm,leaf,on,3,1,x\n".utf8).write(to: csv)
        let plot = try BenchProcess.run(["plot", "--input", csv.path, "--output", dir.path])
        #expect(plot.status == 1 && plot.stderr == "bench: --input: perm run 1: isb is 'x', not a number\n")
        #expect(try String(contentsOf: old, encoding: .utf8) == "<svg>old</svg>")
    }

    @Test func aCSVOfAnotherSchemaIsRefused() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.url.appendingPathComponent("schema1.csv")
        try Data("schema_version,scenario,mpki_proxy\n1,mosaic,0.5\n".utf8).write(to: csv)
        let plot = try BenchProcess.run(["plot", "--input", csv.path, "--output", tmp.folder])
        #expect(plot.status == 1)
        let expected = "bench: --input: \(csv.path) is CSV schema 1; bench plot reads schema \(CSVSchema.version) (re-run bench to regenerate it)\n"
        #expect(plot.stderr == expected)
    }

    @Test func helpNamesTheFilesAndExplainsWhere() throws {
        let help = try BenchProcess.run(["plot", "--help"]).stdout
        for text in ["barriers-SCENARIO.svg", "tlbi-SCENARIO.svg", "pt-alloc-SCENARIO.svg", "pt-bytes.svg", "mpki.svg",
                     "--where <COLUMN=VALUE>", "must match all", "bench plot --input perm.csv --where lazy=on", "(default: plots)"] {
            #expect(help.contains(text), "\(text)")
        }
    }

    @Test func plotOfAMissingFileIsAOneLineError() throws {
        let r = try BenchProcess.run(["plot", "--input", "/nonexistent.csv"])
        #expect(r.status == 1 && r.stderr.hasPrefix("bench: --input:") && r.stderr.split(separator: "\n").count == 1)
    }
}
