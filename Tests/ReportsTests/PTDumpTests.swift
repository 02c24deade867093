import LinearMap
import PageTableModel
import Reports
import Testing

/// Expected dumps are written by hand from spec §5 and arm64 ptdump's column layout.
/// 'single' with 2 GiB: RAM at PA 0x4000_0000 = VA 0xffff_0000_0000_0000; the kernel image
/// [+2M, +0x211_0000) is mapped NO_CONT with blocks and PAGE_KERNEL (MEM/NORMAL); the rest
/// with blocks and CONT and pgprot_tagged(PAGE_KERNEL) (MEM/NORMAL-TAGGED). The dump runs
/// to the end of the linear region, as the kernel's does.
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

    // Attribute columns as ptdump prints them for pgprot_tagged(PAGE_KERNEL) (RAM) and
    // PAGE_KERNEL (the kernel alias).
    static let pmdBlock = "PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED"
    static let pmdContBlock = "PMD       RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED"
    static let pte = "PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED"
    static let contPTE = "PTE       RW NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED"
    static let aliasBlock = "PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL"
    static let aliasPTE = "PTE       RW NX SHD AF            UXN    MEM/NORMAL"
    /// The empty rest of the first PUD table, then the other 255 PGD entries (127.5 TiB).
    static let tail = """
        0xffff000080000000-0xffff008000000000         510G PUD
        0xffff008000000000-0xffff800000000000      130560G PGD
        ---[ Linear Mapping end ]---

        """

    /// [0, 2M) ordinary memory and [2M, 32M) of image are PMD blocks, neither CONT (the
    /// first 32 MiB chunk is not covered whole by either), and print apart (tagged and not);
    /// the image's tail [32M, 32M+1088K) and the rest of that 2 MiB, [.., 34M), share a PTE
    /// table: image pages without CONT, ordinary pages with CONT (64 KiB aligned). [34M,
    /// 64M) blocks; [64M, 1G) whole 32 MiB chunks with CONT; [1G, 2G) one PUD block; then
    /// the holes up to PAGE_END.
    static let blockDump = """
        ---[ Linear Mapping start ]---
        0xffff000000000000-0xffff000000200000           2M \(pmdBlock)
        0xffff000000200000-0xffff000002000000          30M \(aliasBlock)
        0xffff000002000000-0xffff000002110000        1088K \(aliasPTE)
        0xffff000002110000-0xffff000002200000         960K \(contPTE)
        0xffff000002200000-0xffff000004000000          30M \(pmdBlock)
        0xffff000004000000-0xffff000040000000         960M \(pmdContBlock)
        0xffff000040000000-0xffff000080000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED

        """ + tail

    @Test func blockModeMatchesHandWrittenDump() throws {
        let (pt, layout) = try blockMap()
        #expect(ptdump(pt, layout: layout) == Self.blockDump)
    }

    /// Banks far apart: every hole to the end of the region shows at its level, the gap
    /// between the nodes included, and the dump ends at PAGE_END, not at the last bank.
    @Test func dumpRunsToTheEndOfTheLinearRegion() throws {
        let layout = try MachineLayout.builtin("numa2", memory: 2 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let lines = ptdump(pt, layout: layout).split(separator: "\n").map(String.init)
        // node 0 at PA 2G (VA +0 as memstart is 2G), node 1 at PA 1T + 2G (VA +1T).
        #expect(lines.first == "---[ Linear Mapping start ]---")
        #expect(lines.last == "---[ Linear Mapping end ]---")
        #expect(lines[lines.count - 2] == "0xffff018000000000-0xffff800000000000      129536G PGD")
        #expect(lines.contains("0xffff000040000000-0xffff008000000000         511G PUD"))
        #expect(lines.contains("0xffff008000000000-0xffff010000000000         512G PGD"))
        #expect(lines.contains("0xffff010000000000-0xffff010040000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED"))
    }

    /// split_pud with CONT turns [1G, 2G) into CONT PMD blocks, which merge with the CONT
    /// blocks of [64M, 1G) across the table boundary; split_pmd of [1G, 1G+2M) without
    /// CONT then gives a PTE run between two CONT block runs.
    @Test func splitsShowAsFinerRuns() throws {
        let (pt, layout) = try blockMap()
        let (pud, _, _) = tables(pt)
        try pt.splitPUD(pud, 1, toCont: true, kind: .kernel)
        var lines = Self.blockDump.split(separator: "\n").map(String.init)
        lines[6...7] = ["0xffff000004000000-0xffff000080000000        1984M \(Self.pmdContBlock)"]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")

        try pt.splitPMD(TablePage(pud[1]), 0, toCont: false, kind: .kernel)
        lines[6...6] = [
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
        lines[4...4] = [
            "0xffff000002110000-0xffff000002120000          64K \(Self.contPTE)",
            "0xffff000002120000-0xffff000002130000          64K PTE       ro NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED",
            "0xffff000002130000-0xffff000002150000         128K \(Self.contPTE)",
            "0xffff000002150000-0xffff000002160000          64K \(Self.pte)",
            "0xffff000002160000-0xffff0000021e0000         512K \(Self.contPTE)",
            "0xffff0000021e0000-0xffff0000021e1000           4K PTE F     RW NX SHD AF    CON     UXN    MEM/NORMAL-TAGGED",
            "0xffff0000021e1000-0xffff0000021f0000          60K \(Self.contPTE)",
            "0xffff0000021f0000-0xffff0000021f1000           4K PTE",
            "0xffff0000021f1000-0xffff000002200000          60K \(Self.contPTE)",
        ]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")
    }

    /// Like the kernel's, the dump prints each leaf's own bits: clearing PXNTable or
    /// UXNTable (or TABLE_AF) on the path changes nothing, and a leaf without PXN shows "x "
    /// even under a PXNTable table.
    @Test func tableAttributesAreNotPrinted() throws {
        let (pt, layout) = try blockMap()
        let (pud, pmd, pte) = tables(pt)
        pmd[16] = pmd[16].clearing(Descriptor.pxnTable | Descriptor.uxnTable | Descriptor.tableAF)
        pud[0] = pud[0].clearing(Descriptor.pxnTable)
        pt.root[0] = pt.root[0].clearing(Descriptor.pxnTable | Descriptor.uxnTable)
        #expect(ptdump(pt, layout: layout) == Self.blockDump)

        pmd[16] = pmd[16].setting(Descriptor.pxnTable | Descriptor.uxnTable)
        pte[0x100] = pte[0x100].clearing(Descriptor.pxn)
        var lines = Self.blockDump.split(separator: "\n").map(String.init)
        lines[3...3] = [
            "0xffff000002000000-0xffff000002100000           1M \(Self.aliasPTE)",
            "0xffff000002100000-0xffff000002101000           4K PTE       RW x  SHD AF            UXN    MEM/NORMAL",
            "0xffff000002101000-0xffff000002110000          60K \(Self.aliasPTE)",
        ]
        #expect(ptdump(pt, layout: layout) == lines.joined(separator: "\n") + "\n")
    }

    /// Under KPTI every leaf map_mem writes has nG, and the NG column shows it; splits
    /// keep it (they copy the block's bits).
    @Test func kptiPrintsNGOnEveryLeaf() throws {
        let layout = try MachineLayout.builtin("single", memory: Self.memory)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block, ngMappings: true).build(into: pt)
        let withNG = Self.blockDump.replacingOccurrences(of: " AF    ", with: " AF NG ")
        #expect(ptdump(pt, layout: layout) == withNG)
        let (pud, _, _) = tables(pt)
        try pt.splitPUD(pud, 1, toCont: false, kind: .kernel)
        #expect(ptdump(pt, layout: layout) == withNG.replacingOccurrences(
            of: "           1G PUD       RW NX SHD AF NG     BLK UXN    MEM/NORMAL-TAGGED",
            with: "           1G PMD       RW NX SHD AF NG     BLK UXN    MEM/NORMAL-TAGGED"))
    }

    /// An early kfence pool is pgprot_tagged and PTE-mapped without CONT: it prints as
    /// MEM/NORMAL-TAGGED PTEs between the blocks around it.
    @Test func earlyKfencePoolIsTaggedPTEs() throws {
        let layout = try MachineLayout.builtin("single", memory: Self.memory, earlyKfence: true)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let pool = layout.va(ofPA: layout.kfencePool!.start)
        let dump = ptdump(pt, layout: layout)
        #expect(dump.contains("0x\(String(pool, radix: 16))-0x\(String(pool + (2 << 20), radix: 16))           2M \(Self.pte)\n"))
        #expect(!dump.contains("BLK UXN    MEM/NORMAL\n0x\(String(pool, radix: 16))"))
    }

    /// A PTE-mode map is one PTE run per attribute set: the kernel alias keeps its blocks
    /// and, being PAGE_KERNEL, prints apart from the tagged RAM around it.
    @Test func pteModeMergesIntoFewLines() throws {
        let layout = try MachineLayout.builtin("single", memory: Self.memory)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: pt)
        #expect(ptdump(pt, layout: layout) == """
            ---[ Linear Mapping start ]---
            0xffff000000000000-0xffff000000200000           2M \(Self.pte)
            0xffff000000200000-0xffff000002000000          30M \(Self.aliasBlock)
            0xffff000002000000-0xffff000002110000        1088K \(Self.aliasPTE)
            0xffff000002110000-0xffff000080000000     2063296K \(Self.pte)

            """ + Self.tail)
    }
}
