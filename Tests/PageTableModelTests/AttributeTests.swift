import Foundation
import LinearMap
import PageTableModel
import Testing

/// The attribute rules of map_mem and the split helpers (spec §2, §5; arm64 mmu.c of 6.12
/// and v6.18): which protection each call passes, which bits each table descriptor gets,
/// nG under KPTI, and that no count depends on any of it.
@Suite struct AttributeTests {
    static let memory: UInt64 = 2 << 30

    /// Every leaf of [from, to), with its table path's descriptors.
    func leaves(_ pt: PageTable, _ from: UInt64, _ to: UInt64) -> [Leaf] {
        Array(pt.leaves(from: from, to: to))
    }

    func built(_ mode: MappingMode, earlyKfence: Bool = false, nG: Bool = false,
               tableAF: Bool = true) throws -> (PageTable, MachineLayout) {
        let layout = try MachineLayout.builtin("single", memory: Self.memory, earlyKfence: earlyKfence)
        let pt = try PageTable()
        pt.tableAF = tableAF
        try LinearMapBuilder(layout: layout, mode: mode, ngMappings: nG).build(into: pt)
        return (pt, layout)
    }

    @Test func pgprotTaggedOnlyChangesAttrIndx() {
        #expect(Prot.kernelTagged.memoryType == MemoryType.normalTagged.rawValue)
        #expect(Prot.kernel.memoryType == MemoryType.normal.rawValue)
        #expect(Prot.kernelTagged.raw & ~Descriptor.attrIndxMask == Prot.kernel.raw & ~Descriptor.attrIndxMask)
        #expect(Prot.tagged(Prot.kernelRO).memoryType == MemoryType.normalTagged.rawValue)
        #expect(Prot.kernel(tagged: false, nG: true).raw == Prot.kernel.raw | Descriptor.nG)
        // PAGE_KERNEL: page | AF | SH inner | PXN | UXN | WRITE, AttrIndx 0, no nG.
        #expect(Prot.kernel.raw == 0b11 | 1 << 10 | 0b11 << 8 | 1 << 53 | 1 << 54 | 1 << 51)
    }

    /// RAM and the early kfence pool are NORMAL_TAGGED, the kernel alias NORMAL, in both modes.
    @Test(arguments: [MappingMode.block, .pte])
    func ramAndPoolTaggedAliasNot(_ mode: MappingMode) throws {
        let (pt, layout) = try built(mode, earlyKfence: true)
        let alias = layout.kernelAliasVA, pool = layout.kfencePool!
        let poolVA = layout.va(ofPA: pool.start)..<layout.va(ofPA: pool.end)
        for leaf in leaves(pt, layout.linearStart, layout.linearEnd) {
            let inAlias = leaf.va >= alias.start && leaf.end <= alias.end
            #expect(leaf.va >= alias.end || leaf.end <= alias.start || inAlias, "no leaf straddles the alias")
            let expected = inAlias ? MemoryType.normal : .normalTagged
            #expect(leaf.descriptor.memoryType == expected.rawValue, "\(leaf.va)")
            #expect(leaf.descriptor.raw & Descriptor.nG == 0)
            if poolVA.contains(leaf.va) { #expect(leaf.level == .pte && !leaf.descriptor.isCont) }
        }
    }

    /// Under KPTI every leaf — RAM, alias, pool — carries nG; nothing else changes, and no
    /// count either (the same stores write the same number of entries).
    @Test func kptiSetsNGOnEveryLeafAndChangesNoCount() throws {
        let (plain, layout) = try built(.block, earlyKfence: true)
        let (kpti, _) = try built(.block, earlyKfence: true, nG: true)
        let a = leaves(plain, layout.linearStart, layout.linearEnd), b = leaves(kpti, layout.linearStart, layout.linearEnd)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(y.descriptor.raw == x.descriptor.raw | Descriptor.nG && x.va == y.va && x.level == y.level)
        }
        #expect(plain.counters == kpti.counters)
    }

    /// Create path (v6.18 and 6.12): UXNTable on every new table, PXNTable under
    /// NO_EXEC_MAPPINGS — so RAM's tables have it and the kfence pool's own PTE table (mapped
    /// without NO_EXEC) does not — and TABLE_AF in v6.18, not in 6.12.
    @Test(arguments: [true, false])
    func createPathTableBits(tableAF: Bool) throws {
        // The early pool sits 64 KiB below the top of bank 0: its PTE tables are shared with
        // RAM. A pool on a 2 MiB boundary gets its own, as on the real boots.
        let bank = PhysRange(start: 0x4000_0000, size: Self.memory)
        let pool = PhysRange(start: bank.end - (2 << 20), size: MachineLayout.kfencePoolSize)
        let layout = try MachineLayout(name: "t", banks: [bank], kfencePool: pool)
        let pt = try PageTable()
        pt.tableAF = tableAF
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let poolVA = layout.va(ofPA: pool.start)
        var seen = 0
        walkTables(pt) { level, va, entry in
            seen += 1
            #expect(entry.raw & Descriptor.uxnTable != 0)
            #expect((entry.raw & Descriptor.tableAF != 0) == tableAF)
            let poolTable = level == .pmd && va == poolVA
            #expect((entry.raw & Descriptor.pxnTable != 0) == !poolTable, "\(level) 0x\(String(va, radix: 16))")
        }
        #expect(seen > 3)
    }

    /// split_pmd / split_pud: UXNTable | TABLE_AF, PXNTable only when the block had PXN;
    /// the children keep the block's bits (tagged, nG), page type at level 3.
    @Test func splitHelpersTableBits() throws {
        let (pt, layout) = try built(.block, nG: true)
        let pud = TablePage(pt.root[0])
        // [1G, 2G) is one PUD block.
        let block = pud[1]
        try pt.splitPUD(pud, 1, toCont: false, kind: .kernel)
        #expect(pud[1].raw & (Descriptor.uxnTable | Descriptor.tableAF | Descriptor.pxnTable)
                == Descriptor.uxnTable | Descriptor.tableAF | Descriptor.pxnTable)
        let pmd = TablePage(pud[1])
        #expect(pmd[0].attributes == block.attributes && pmd[0].isBlock)
        // A block without PXN: its new table gets no PXNTable.
        pmd[1] = pmd[1].clearing(Descriptor.pxn)
        try pt.splitPMD(pmd, 1, toCont: false, kind: .kernel)
        #expect(pmd[1].raw & Descriptor.pxnTable == 0 && pmd[1].raw & Descriptor.uxnTable != 0)
        try pt.splitPMD(pmd, 2, toCont: false, kind: .kernel)
        #expect(pmd[2].raw & Descriptor.pxnTable != 0)
        let pte = TablePage(pmd[2])
        #expect(pte[0].attributes == block.attributes && pte[0].memoryType == MemoryType.normalTagged.rawValue)
        #expect(pte[0].raw & Descriptor.nG != 0 && pte[0].raw & Descriptor.typeMask == 0b11)
        _ = layout
    }

    /// The table descriptors under the linear map's PGD entries, with the VA they cover.
    func walkTables(_ pt: PageTable, _ body: (Level, UInt64, Descriptor) -> Void) {
        func visit(_ table: TablePage, _ level: Level, _ base: UInt64) {
            guard level != .pte else { return }
            let size = pt.geometry.size(level)
            for i in 0..<512 {
                let entry = table[i]
                guard entry.isValid && entry.isTable else { continue }
                let va = base &+ UInt64(i) &* size
                body(level, va, entry)
                visit(TablePage(entry), level.next, va)
            }
        }
        visit(pt.root, .pgd, LinearMapRange.start)
    }

    // MARK: _stext

    @Test func stextDefaultsTo64KiBIntoTheImage() throws {
        let layout = try MachineLayout.builtin("single", memory: Self.memory)
        #expect(layout.stext == layout.kernelImage.start + 0x1_0000)
        #expect(layout.textAliasVA.start == layout.kernelAliasVA.start + 0x1_0000)
        #expect(layout.textAliasVA.end == layout.kernelAliasVA.end)
    }

    @Test func stextFromJSON() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stext-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"banks": [{"start": "0x40000000", "size": "4G"}], "kernel": {"start": "0x40200000", "size": "0x1d00000"}, "stext": "0x40210000"}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let layout = try MachineLayout.load(path: path)
        #expect(layout.stext == 0x4021_0000)
    }

    @Test(arguments: ["0x40200800", "0x40100000", "0x41f00000"])
    func stextOutsideTheImageIsRefused(_ stext: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stext-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"banks": [{"start": "0x40000000", "size": "4G"}], "kernel": {"start": "0x40200000", "size": "0x1d00000"}, "stext": "\#(stext)"}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try MachineLayout.load(path: path) } throws: { ($0 as? LayoutError)?.description.contains("_stext") == true }
    }
}
