import BenchHarness
import Foundation
import Testing

/// `--initial-map` and `--format directmap` as a user runs them, on a real boot's files.
@Suite struct InitialMapTests {
    static let boot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/real-kernel/on-kf100")
    static let dump = boot.appendingPathComponent("ptdump.txt").path
    static let iomem = boot.appendingPathComponent("iomem.txt").path
    static let imported = ["--initial-map", dump, "--iomem", iomem]

    @Test func ptdumpOfAnImportedMapIsTheInput() throws {
        let r = try BenchProcess.run(["ptdump"] + Self.imported)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: Self.dump, encoding: .utf8)
        let section = text.components(separatedBy: "---[ Linear Mapping end ]---\n")[0] + "---[ Linear Mapping end ]---\n"
        #expect(r.stdout == section)
    }

    /// The boot scenario on an imported map measures nothing and describes the map:
    /// its table pages and leaves as the fixture's README gives them.
    @Test func bootOnAnImportedMapDescribesIt() throws {
        let r = try BenchProcess.run(["run"] + Self.imported + ["--format", "csv", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = countedColumns(r.stdout)
        let row = Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1]))
        #expect(row["pt_bytes"] == String(5 * 4096))
        #expect(row["pt_pages_alloc"] == "0")
        #expect(row["dsb_ishst"] == "0")
        #expect(row["walker"] == "none")
        #expect([row["leaf_pud"], row["leaf_pmd"], row["leaf_pmd_cont"], row["leaf_pte_cont"]] == ["2", "30", "992", "256"])
        // The valid PTEs: 768 less the 275 invalid kfence pages the fixture's trailer counts.
        #expect(row["leaf_pte"] == "493")
        #expect(row["initial_map"] == Self.dump && row["iomem"] == Self.iomem)
        #expect(row["initial_map_sha256"]?.count == 64 && row["iomem_sha256"]?.count == 64)
        #expect(row["layout"] == "" && row["memory_bytes"] == String(4 << 30))
    }

    /// Any scenario runs on it; set_memory_ro on module-like areas splits the real map's
    /// blocks, which the DirectMap lines show: bytes move to smaller leaves, none go.
    @Test func aScenarioRunsOnTheRealMapAndDirectMapFollows() throws {
        let before = try BenchProcess.run(["run"] + Self.imported + ["--format", "directmap", "--quiet"])
        let after = try BenchProcess.run(["run", "--scenario", "perm", "--requests", "50", "--seed", "3"] + Self.imported
                                         + ["--format", "directmap", "--quiet"])
        #expect(before.status == 0 && after.status == 0, "\(before.stderr)\(after.stderr)")
        #expect(before.stdout == """
            DirectMap4k:\t    3072 kB
            DirectMap64k:\t    1024 kB
            DirectMap2M:\t   61440 kB
            DirectMap32M:\t 2031616 kB
            DirectMap1G:\t 2097152 kB

            """)
        func kB(_ text: String) -> [Int] { text.split(separator: "\n").map { Int($0.split(separator: "\t")[1].split(separator: " ")[0])! } }
        #expect(kB(after.stdout).reduce(0, +) == 4 << 20)
        #expect(kB(after.stdout)[0] > 3072, "the areas' backing pages are now 4k leaves")
        #expect(kB(after.stdout)[4] <= 2_097_152)
    }

    /// The README's end-to-end example: the trace captured on the same kind of boot, replayed
    /// on the imported map with the presets of the kernel and machine it came from. rodata=on:
    /// each set_memory_* call flushes its own pages (40 kfence pages invalid, 13 ro, 10 nx, 9 x:
    /// 72 page TLBIs), each of the 7 area vfrees flushes all; nothing splits, so the 40 pool
    /// pages go invalid and the 9 pages of the three minix areas still mapped come back.
    @Test func theCapturedTraceReplaysOnTheImportedMap() throws {
        let trace = Self.boot.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("real-trace/on-kf100/trace.txt").path
        let r = try BenchProcess.run(["run", "--scenario", "replay", "--ops", trace, "--kernel", "v6.10", "--cpu", "n1",
                                      "--mode", "block", "--rodata-full", "off", "--format", "csv", "--quiet"] + Self.imported)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = countedColumns(r.stdout)
        let row = Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1]))
        #expect(row["issued"] == "75" && row["errors"] == "0")
        #expect(row["tlbi"] == String(72 + 7) && row["tlbi_all"] == "7" && row["tlbi_range"] == "0")
        // The map was captured on another boot, where kfence had already freed some of these
        // pages: those were invalid to begin with.
        let invalid = try Self.invalidPages(), freed = try Self.pagesMadeInvalid(trace)
        let newlyInvalid = freed.subtracting(invalid).count
        #expect(newlyInvalid < 40)
        #expect(row["leaf_pte"] == String(493 - newlyInvalid + 9) && row["leaf_pud"] == "2" && row["leaf_pmd_cont"] == "992")
    }

    /// The pages of the dump's invalid PTE lines (`PTE F`).
    static func invalidPages() throws -> Set<UInt64> {
        var pages = Set<UInt64>()
        for line in try String(contentsOfFile: dump, encoding: .utf8).split(separator: "\n") where line.contains(" PTE F ") {
            let bounds = line.split(separator: " ")[0].split(separator: "-").map { UInt64($0.dropFirst(2), radix: 16)! }
            pages.formUnion(stride(from: bounds[0], to: bounds[1], by: 4096))
        }
        return pages
    }

    /// The pages the trace's set_memory_valid(addr, 1, 0) calls make invalid.
    static func pagesMadeInvalid(_ trace: String) throws -> Set<UInt64> {
        Set(try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").filter { $0.contains("enable=0x0") }.map { line in
            UInt64(line.split(separator: " ").first { $0.hasPrefix("addr=0x") }!.dropFirst(7), radix: 16)!
        })
    }

    @Test(arguments: [
        (imported + ["--memory", "4G"], "bench: --memory: '4G' not used by this run: with --initial-map the banks come from --iomem"),
        (imported + ["--layout", "numa2"], "bench: --layout: 'numa2' not used by this run: with --initial-map the banks come from --iomem"),
        (imported + ["--create-path", "base"], "bench: --create-path: 'base' not used by this run: an --initial-map is not built by map_mem"),
        (["--initial-map", dump], "bench: --iomem: --initial-map needs --iomem FILE, a copy of /proc/iomem with the banks"),
        (["--iomem", iomem], "bench: --iomem: '\(iomem)' not used by this run: only an --initial-map takes --iomem"),
    ])
    func wrongCombinationsAreOneLine(_ c: ([String], String)) throws {
        let r = try BenchProcess.run(["run"] + c.0)
        #expect(r.status != 0)
        #expect(r.stderr == c.1 + "\n")
    }

    @Test func aBrokenDumpNamesItsFileAndLine() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("ptdump.txt")
        var lines = try String(contentsOfFile: Self.dump, encoding: .utf8).components(separatedBy: "\n")
        // The 28M PMD run of the kernel alias, shortened by 1M: misaligned, and a gap.
        lines[2] = lines[2].replacingOccurrences(of: "0xffff000001e00000          28M", with: "0xffff000001d00000          27M")
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try BenchProcess.run(["ptdump", "--initial-map", path, "--iomem", Self.iomem])
        #expect(r.status != 0)
        #expect(r.stderr == "bench: --initial-map: '\(path)': line 3: a PMD line covers whole 2M entries: its start and end must be 2M-aligned\n")
    }
}
