import Foundation
import LinearMap
import PageTableModel
import Reports
import Testing

/// `--initial-map`: a ptdump read back into tables, printed again line for line, and the
/// dumps that are no consistent map refused with the line at fault.
@Suite struct PTDumpImportTests {
    /// The fixture's Linear Mapping section, markers included (its "#" trailer is the reader's).
    static func section(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let end = lines.firstIndex(of: "---[ Linear Mapping end ]---")!
        return lines[...end].joined(separator: "\n") + "\n"
    }

    static func imported(_ dump: String, iomem: String = "40000000-13fffffff : System RAM\n") throws -> (PageTable, MachineLayout) {
        let layout = try MachineLayout.parse(iomem: iomem, file: "iomem.txt", name: "test")
        let map = try ImportedMap(text: dump, file: "dump.txt")
        try map.check(against: layout)
        let pt = try PageTable()
        try map.build(into: pt, layout: layout)
        return (pt, layout)
    }

    @Test(arguments: RealKernelFixtureTests.boots)
    func realFixturesRoundTripByteForByte(_ name: String) throws {
        let dir = RealBoot.root.appendingPathComponent(name)
        let text = try String(contentsOf: dir.appendingPathComponent("ptdump.txt"), encoding: .utf8)
        let iomem = try String(contentsOf: dir.appendingPathComponent("iomem.txt"), encoding: .utf8)
        let (pt, layout) = try Self.imported(text, iomem: iomem)
        #expect(ptdump(pt, layout: layout) == Self.section(text), "\(name)")
    }

    /// The fixture README's leaves and table pages, from the imported tables (invalid
    /// kfence PTEs are leaves here: they keep their bits).
    @Test(arguments: [("on-kf100", 2, 30, 992, 768, 256, 5), ("full", 0, 14, 0, 1_041_408, 0, 2039),
                      ("numa2-8g-block", 6, 30, 992, 768, 256, 5)])
    func importedTablesAreTheRealOnes(_ c: (String, Int, Int, Int, Int, Int, Int)) throws {
        let dir = RealBoot.root.appendingPathComponent(c.0)
        let (pt, _) = try Self.imported(try String(contentsOf: dir.appendingPathComponent("ptdump.txt"), encoding: .utf8),
                                        iomem: try String(contentsOf: dir.appendingPathComponent("iomem.txt"), encoding: .utf8))
        #expect(pt.allocator.pagesLive == c.6)
        #expect(pt.allocator.tableBytes == c.6 * 4096)
        let census = TableCensus(pt)
        #expect(census.leaves["pud", default: 0] == c.1)
        #expect(census.leaves["pmd", default: 0] == c.2)
        #expect(census.leaves["pmd_cont", default: 0] == c.3)
        #expect(census.leaves["pte", default: 0] + census.leaves["pte_invalid_nonzero", default: 0] == c.4)
        #expect(census.leaves["pte_cont", default: 0] == c.5)
    }

    /// Yang Shi's lines for on-kf100, from the README's leaf counts times the leaf sizes.
    @Test func directMapLinesOfARealMap() throws {
        let dir = RealBoot.root.appendingPathComponent("on-kf100")
        let (pt, _) = try Self.imported(try String(contentsOf: dir.appendingPathComponent("ptdump.txt"), encoding: .utf8),
                                        iomem: try String(contentsOf: dir.appendingPathComponent("iomem.txt"), encoding: .utf8))
        let kB = [768 * 4, 256 * 4, 30 * 2048, 992 * 2048, 2 * 1024 * 1024]
        #expect(kB.reduce(0, +) == 4 << 20)  // every byte of the 4 GiB bank, once
        let expected = zip(["4k", "64k", "2M", "32M", "1G"], kB).map { name, n in
            "DirectMap\(name):\t" + String(repeating: " ", count: 8 - String(n).count) + "\(n) kB"
        }
        #expect(pt.leafCensus().directMap.meminfoLines(.fourK) == expected)
        #expect(expected[0] == "DirectMap4k:\t    3072 kB")
    }

    // MARK: Hand-made dumps

    static let rw = "RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED"
    static let page = "RW NX SHD AF            UXN    MEM/NORMAL-TAGGED"
    static let cont = "RW NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED"
    static let contBlock = "RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED"
    static let ro = "ro NX SHD AF            UXN    MEM/NORMAL"

    static func line(_ start: UInt64, _ end: UInt64, _ level: String, _ attrs: String? = nil, valid: Bool = true) -> String {
        let hex = { (x: UInt64) in String(repeating: "0", count: 16 - String(x, radix: 16).count) + String(x, radix: 16) }
        var kb = (end - start) >> 10, unit = Array("KMGTPE"), u = 0
        while kb % 1024 == 0 && u < 5 { kb /= 1024; u += 1 }
        let size = String(repeating: " ", count: 9 - String(kb).count) + String(kb) + String(unit[u])
        return "0x\(hex(start))-0x\(hex(end))   \(size) \(level)" + (attrs.map { " " + (valid ? " " : "F") + "     " + $0 } ?? "")  // then USR's empty column
    }

    static func dump(_ lines: [String]) -> String {
        (["---[ Linear Mapping start ]---"] + lines + ["---[ Linear Mapping end ]---"]).joined(separator: "\n") + "\n"
    }

    static let base = LinearMapRange.start
    static let mib: UInt64 = 1 << 20, gib: UInt64 = 1 << 30
    /// Everything past the first 4 GiB, as ptdump prints it for a 4 GiB machine.
    static let tail: [String] = [line(base + 4 * gib, base + 512 * gib, "PUD"), line(base + 512 * gib, LinearMapRange.end, "PGD")]

    /// Holes at PTE, PMD and PUD level, a CONT-PTE group between plain and invalid PTEs, a
    /// CONT-PMD run, a PUD block, and a read-only untagged page.
    static let mixedLines: [String] = [
        line(base, base + (64 << 10), "PTE", cont),
        line(base + (64 << 10), base + (72 << 10), "PTE", page, valid: false),
        line(base + (72 << 10), base + (76 << 10), "PTE", ro),
        line(base + (76 << 10), base + (80 << 10), "PTE"),
        line(base + (80 << 10), base + 2 * mib, "PTE", page),
        line(base + 2 * mib, base + 4 * mib, "PMD"),
        line(base + 4 * mib, base + 32 * mib, "PMD", rw),
        line(base + 32 * mib, base + 96 * mib, "PMD", contBlock),
        line(base + 96 * mib, base + gib, "PMD", rw),
        line(base + gib, base + 2 * gib, "PUD"),
        line(base + 2 * gib, base + 4 * gib, "PUD", rw),
    ]
    static let mixed = dump(mixedLines + tail)

    @Test func handMadeMapRoundTripsWithItsTables() throws {
        let (base, mib) = (Self.base, Self.mib)
        let (pt, layout) = try Self.imported(Self.mixed)
        #expect(ptdump(pt, layout: layout) == Self.mixed)
        // Tables: the PUD table, one PMD table (the first GiB), one PTE table (the first 2 MiB).
        #expect(pt.allocator.pagesLive == 3)
        let h = pt.leafHistogram()
        let counts: [Int] = [h.pud, h.pmd, h.pmdCont, h.pte, h.pteCont]
        #expect(counts == [2, 478, 32, 493, 16])
        // RW leaves are PAGE_KERNEL: PTE_WRITE too; the read-only page has none.
        let t = pt.translate(base + 4 * mib)
        #expect(t?.pa == 0x4040_0000)
        #expect((t?.attributes ?? 0) & Descriptor.write != 0)
        #expect((pt.translate(base + (72 << 10))?.attributes ?? Descriptor.write) & Descriptor.write == 0)
    }

    /// A v6.18+ kernel's present-invalid 2M block (a realm's shared buffer in flight, say):
    /// kept as a leaf, printed back under --present-invalid, where the walkers take it.
    @Test func presentInvalidBlocksRoundTrip() throws {
        let (base, mib, gib) = (Self.base, Self.mib, Self.gib)
        let invalid = "RW NX SHD AF NG     BLK UXN    MEM/NORMAL-TAGGED"
        let text = Self.dump([
            Self.line(base, base + 2 * mib, "PMD", Self.rw),
            Self.line(base + 2 * mib, base + 4 * mib, "PMD", invalid, valid: false),
            Self.line(base + 4 * mib, base + gib, "PMD", Self.rw),
            Self.line(base + gib, base + 4 * gib, "PUD", Self.rw),
        ] + Self.tail)
        let (pt, layout) = try Self.imported(text)
        #expect(ptdump(pt, layout: layout, presentInvalid: true) == text)
        // Without it, the 6.12 walker passes the block by: the run before reaches over it.
        #expect(!ptdump(pt, layout: layout).contains("PMD F"))
        let noNG = text.replacingOccurrences(of: " NG    ", with: "       ")
        do { _ = try ImportedMap(text: noNG, file: "d"); Issue.record("accepted") } catch {
            #expect(error.description.hasPrefix("--initial-map: 'd': line 3: an invalid PMD is printed only as a present-invalid block"))
        }
    }

    @Test func theMapIsWhatTheRealKernelBuilds() throws {
        let (base, gib) = (Self.base, Self.gib)
        // A 4 GiB PTE map read back: a write through it finds the RAM page map_mem mapped.
        let (pt, _) = try Self.imported(Self.mixed)
        let pa: UInt64 = 0x4000_0000 + 3 * gib + 4096
        #expect(pt.translate(base + 3 * gib + 4096)?.pa == pa)
        #expect(pt.translate(base + (64 << 10)) == nil, "invalid PTE")
        #expect(pt.translate(base + (76 << 10)) == nil, "hole")
    }

    /// (a line replacing the mixed dump's line 2; the message)
    static let badLines: [(String, String)] = [
        ("0xffff000000000000-0xffff000000010000  64K PTE", "line 2: not a ptdump line"),
        (line(base, base + (64 << 10), "PXE"), "line 2: unknown level 'PXE'"),
        (line(base, base + (64 << 10), "PTE", "RW NX SHD AF    CON     UXN    MEM/WEIRD"), "line 2: unparsable attributes"),
        (line(base, base + (64 << 10), "PTE", "RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED"), "line 2: a valid PTE is a page"),
        (line(base, base + (32 << 10), "PTE", cont), "line 2: a CON PTE line covers whole groups of 16"),
        (line(base + (64 << 10), base + (128 << 10), "PTE", page), "line 2: starts at 0xffff000000010000, not at PAGE_OFFSET"),
    ]

    @Test(arguments: badLines)
    func inconsistentDumpsNameTheLine(_ c: (String, String)) throws {
        var lines = Self.mixed.split(separator: "\n").map(String.init)
        lines[1] = c.0
        let text = lines.joined(separator: "\n") + "\n"
        #expect(throws: PTDumpImportError.self) { try ImportedMap(text: text, file: "dump.txt") }
        do { _ = try ImportedMap(text: text, file: "dump.txt") } catch {
            #expect(error.description.hasPrefix("--initial-map: 'dump.txt': \(c.1)"), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// A misaligned 2M block, overlapping and reversed lines, a gap, CONT PMDs not whole,
    /// a block without BLK, CON on a PUD, a PGD leaf, a size column that lies.
    static let badMaps: [([String], String)] = [
        ([line(base, base + mib, "PMD", rw)], "line 2: a PMD line covers whole 2M entries"),
        ([line(base, base + 4 * mib, "PMD", rw), line(base + 2 * mib, base + 6 * mib, "PMD", rw)], "line 3: overlaps the previous line"),
        ([line(base + 2 * mib, base + 4 * mib, "PMD", rw), line(base, base + 2 * mib, "PMD", rw)], "line 2: starts at"),
        ([line(base, base + 2 * mib, "PMD", rw), line(base + 4 * mib, base + 6 * mib, "PMD", rw)], "line 3: leaves a gap"),
        ([line(base, base + 2 * mib, "PMD", rw), line(base + 2 * mib, base + 4 * mib, "PMD", rw), line(base, base + 2 * mib, "PMD", rw)],
         "line 4: addresses go backwards"),
        ([line(base, base + 16 * mib, "PMD", contBlock)], "line 2: a CON PMD line covers whole groups of 16"),
        ([line(base, base + 2 * mib, "PMD", page)], "line 2: a valid PMD leaf is a block"),
        ([line(base, base + gib, "PUD", contBlock)], "line 2: a PUD entry has no contiguous hint"),
        ([line(base, base + 512 * gib, "PGD", rw)], "line 2: a PGD entry cannot be a leaf"),
        ([line(base, base + 2 * mib, "PMD", rw).replacingOccurrences(of: "        2M", with: "        4M")], "line 2: size column"),
    ]

    @Test(arguments: badMaps)
    func brokenMapsAreRefused(_ c: ([String], String)) throws {
        let text = Self.dump(c.0)
        do {
            _ = try ImportedMap(text: text, file: "dump.txt")
            Issue.record("accepted: \(c.1)")
        } catch {
            #expect(error.description.hasPrefix("--initial-map: 'dump.txt': \(c.1)"), "\(error.description)")
        }
    }

    @Test func truncatedDumpsAndMissingMarkersAreRefused() throws {
        let noEnd = Self.mixed.replacingOccurrences(of: "---[ Linear Mapping end ]---\n", with: "")
        #expect(throws: PTDumpImportError.self) { try ImportedMap(text: noEnd, file: "d") }
        #expect(throws: PTDumpImportError.self) { try ImportedMap(text: "hello\n", file: "d") }
        let short = Self.dump([Self.line(Self.base, Self.base + 512 * Self.gib, "PGD")])
        do { _ = try ImportedMap(text: short, file: "d"); Issue.record("accepted") } catch {
            #expect(error.description == "--initial-map: 'd': line 3: the section ends at 0xffff008000000000, not at PAGE_END 0xffff800000000000")
        }
    }

    /// Leaves must map System RAM: a 2 GiB machine's iomem under the 4 GiB dump.
    @Test func leavesOutsideRAMAreRefused() throws {
        let layout = try MachineLayout.parse(iomem: "40000000-bfffffff : System RAM\n", file: "iomem.txt", name: "small")
        let map = try ImportedMap(text: Self.mixed, file: "dump.txt")
        do { try map.check(against: layout); Issue.record("accepted") } catch {
            #expect(error.description == "--initial-map: 'dump.txt': line 12: leaves at PA 0xc0000000-0x140000000 lie outside the System RAM of the --iomem file")
        }
    }

    @Test func iomemBanksMergeAndNameTheKernelImage() throws {
        let text = """
            40000000-13fffffff : System RAM
              40200000-41efffff : Kernel code
              42870000-42d2ffff : Kernel data
            140000000-23fffffff : System RAM
            4010000000-401fffffff : PCI ECAM

            """
        let layout = try MachineLayout.parse(iomem: text, file: "iomem.txt", name: "numa")
        #expect(layout.banks == [PhysRange(start: 0x4000_0000, size: 0x2_0000_0000)])
        #expect(layout.kernelImage == PhysRange(start: 0x4020_0000, size: 0x1D0_0000))
        #expect(layout.stext == 0x4021_0000)
        #expect(layout.dataAlias.start == 0x4287_0000)
        #expect(layout.kfencePool == nil)
        for (bad, message) in [("40000000 : System RAM", "line 1: not an /proc/iomem line"),
                               ("00000000-00000000 : System RAM", "line 1: System RAM at address 0"),
                               ("09000000-09000fff : pl011@9000000", "no top-level System RAM line")] {
            do { _ = try MachineLayout.parse(iomem: bad + "\n", file: "i", name: "x"); Issue.record("accepted \(bad)") } catch {
                #expect(error.description.hasPrefix("--iomem: 'i': \(message)"), "\(error.description)")
            }
        }
    }
}
