import LinearMap
import PageTableModel
import Reports
import Testing

/// Expected dumps are written by hand from spec §5 and arm64 ptdump's column layout.
/// 'single' with 2 GiB: RAM at PA 0x4000_0000 = VA 0xffff_0000_0000_0000; the kernel image
/// [+2M, +0x211_0000) is mapped NO_CONT with blocks; the rest with blocks and CONT.
@Suite struct PTDumpTests {
    static let memory: UInt64 = 2 << 30

    func blockMap() throws -> (PageTable, MachineLayout) {
        let layout = try MachineLayout.builtin("single", memory: Self.memory)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        return (pt, layout)
    }

    /// The PMD table of the first GiB and the PTE table under VA +32 MiB (PMD index 16).
    func tables(_ pt: PageTable) -> (pud: TablePage, pmd: TablePage, pte: TablePage) {
        let pud = TablePage(pt.root[0])
        let pmd = TablePage(pud[0])
        return (pud, pmd, TablePage(pmd[16]))
    }

    // Attribute columns as ptdump prints them for PAGE_KERNEL.
    static let pmdBlock = "PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL"
    static let pmdContBlock = "PMD       RW NX SHD AF    CON BLK UXN    MEM/NORMAL"
    static let pte = "PTE       RW NX SHD AF            UXN    MEM/NORMAL"
    static let contPTE = "PTE       RW NX SHD AF    CON     UXN    MEM/NORMAL"

    /// [0, 2M) ordinary memory and [2M, 32M) of image are PMD blocks, neither CONT (the
    /// first 32 MiB chunk is not covered whole by either); the image's tail [32M, 32M+1088K)
    /// and the rest of that 2 MiB, [.., 34M), share a PTE table: image pages without CONT,
    /// ordinary pages with CONT (64 KiB aligned). [34M, 64M) blocks; [64M, 1G) whole
    /// 32 MiB chunks with CONT; [1G, 2G) one PUD block.
    static let blockDump = """
        ---[ Linear Mapping start ]---
        0xffff000000000000-0xffff000002000000          32M \(pmdBlock)
        0xffff000002000000-0xffff000002110000        1088K \(pte)
        0xffff000002110000-0xffff000002200000         960K \(contPTE)
        0xffff000002200000-0xffff000004000000          30M \(pmdBlock)
        0xffff000004000000-0xffff000040000000         960M \(pmdContBlock)
        0xffff000040000000-0xffff000080000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL
        ---[ Linear Mapping end ]---

        """

    @Test func blockModeMatchesHandWrittenDump() throws {
        let (pt, layout) = try blockMap()
        #expect(ptdump(pt, layout: layout) == Self.blockDump)
    }

    /// Over the whole [PAGE_OFFSET, PAGE_END) region the empty entries show as in the
    /// kernel: the rest of the first PUD table, then the other 255 PGD entries (127.5 TiB).
    @Test func wholeRegionShowsHolesAtTheirLevel() throws {
        let (pt, _) = try blockMap()
        let expected = Self.blockDump.replacingOccurrences(of: "---[ Linear Mapping end ]---\n", with: """
            0xffff000080000000-0xffff008000000000         510G PUD
            0xffff008000000000-0xffff800000000000      130560G PGD
            ---[ Linear Mapping end ]---

            """)
        #expect(ptdump(pt, range: LinearMapRange.start..<LinearMapRange.end) == expected)
    }

    /// split_pud with CONT turns [1G, 2G) into CONT PMD blocks, which merge with the CONT
    /// blocks of [64M, 1G) across the table boundary; split_pmd of [1G, 1G+2M) without
    /// CONT then gives a PTE run between two CONT block runs.
    @Test func splitsShowAsFinerRuns() throws {
        let (pt, layout) = try blockMap()
        let (pud, _, _) = tables(pt)
        try pt.splitPUD(pud, 1, toCont: true, kind: .kernel)
        var lines = Self.blockDump.split(separator: "\n").map(String.init)
        lines[5...6] = ["0xffff000004000000-0xffff000080000000        1984M \(Self.pmdContBlock)"]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")

        try pt.splitPMD(TablePage(pud[1]), 0, toCont: false, kind: .kernel)
        lines[5...5] = [
            "0xffff000004000000-0xffff000040000000         960M \(Self.pmdContBlock)",
            "0xffff000040000000-0xffff000040200000           2M \(Self.pte)",
            "0xffff000040200000-0xffff000080000000        1022M \(Self.pmdContBlock)",
        ]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")
    }

    /// In the PTE table at +32M (entry i maps +32M + i·4K): the CONT group 0x120 made
    /// read-only, the CONT group 0x150 split, entry 0x1e0 invalidated (bits kept) and
    /// entry 0x1f0 cleared.
    @Test func readOnlyContAndInvalidEntriesShow() throws {
        let (pt, layout) = try blockMap()
        let (_, _, pte) = tables(pt)
        for i in 0x120..<0x130 { pte[i] = pte[i].clearing(Descriptor.write).setting(Descriptor.rdonly) }
        pt.splitContPTE(pte, 0x150)
        pte[0x1e0] = pte[0x1e0].clearing(Descriptor.valid)
        pte[0x1f0] = .zero
        var lines = Self.blockDump.split(separator: "\n").map(String.init)
        lines[3...3] = [
            "0xffff000002110000-0xffff000002120000          64K \(Self.contPTE)",
            "0xffff000002120000-0xffff000002130000          64K PTE       ro NX SHD AF    CON     UXN    MEM/NORMAL",
            "0xffff000002130000-0xffff000002150000         128K \(Self.contPTE)",
            "0xffff000002150000-0xffff000002160000          64K \(Self.pte)",
            "0xffff000002160000-0xffff0000021e0000         512K \(Self.contPTE)",
            "0xffff0000021e0000-0xffff0000021e1000           4K PTE F     RW NX SHD AF    CON     UXN    MEM/NORMAL",
            "0xffff0000021e1000-0xffff0000021f0000          60K \(Self.contPTE)",
            "0xffff0000021f0000-0xffff0000021f1000           4K PTE",
            "0xffff0000021f1000-0xffff000002200000          60K \(Self.contPTE)",
        ]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")
    }

    /// NX is PXN in force: a page without PXN stays NX under a PXNTable table, and shows
    /// "x " once no table on its path has PXNTable.
    @Test func nxFollowsPXNTable() throws {
        let (pt, layout) = try blockMap()
        let (pud, pmd, pte) = tables(pt)
        pte[0x100] = pte[0x100].clearing(Descriptor.pxn)
        #expect(ptdump(pt, layout: layout) == Self.blockDump)

        pmd[16] = pmd[16].clearing(Descriptor.pxnTable)
        #expect(ptdump(pt, layout: layout) == Self.blockDump)
        pud[0] = pud[0].clearing(Descriptor.pxnTable)
        pt.root[0] = pt.root[0].clearing(Descriptor.pxnTable)
        var lines = Self.blockDump.split(separator: "\n").map(String.init)
        lines[2...2] = [
            "0xffff000002000000-0xffff000002100000           1M \(Self.pte)",
            "0xffff000002100000-0xffff000002101000           4K PTE       RW x  SHD AF            UXN    MEM/NORMAL",
            "0xffff000002101000-0xffff000002110000          60K \(Self.pte)",
        ]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")
    }

    /// A PTE-mode map is one PTE run per attribute set: the kernel alias keeps its blocks.
    @Test func pteModeMergesIntoFewLines() throws {
        let layout = try MachineLayout.builtin("single", memory: Self.memory)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: pt)
        #expect(ptdump(pt, layout: layout) == """
            ---[ Linear Mapping start ]---
            0xffff000000000000-0xffff000000200000           2M \(Self.pte)
            0xffff000000200000-0xffff000002000000          30M \(Self.pmdBlock)
            0xffff000002000000-0xffff000080000000        2016M \(Self.pte)
            ---[ Linear Mapping end ]---

            """)
    }
}
