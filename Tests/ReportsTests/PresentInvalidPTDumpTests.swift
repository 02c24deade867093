import LinearMap
import PageTableModel
import Reports
import Testing

/// ptdump of an invalid PMD block, before and after 15bfba1ad77f, on 'single' with 2 GiB
/// (the layout of PTDumpTests) with [1G, 2G) split into plain PMD blocks.
@Suite struct PresentInvalidPTDumpTests {
    static let contBlocks = "PMD       RW NX SHD AF    CON BLK UXN    MEM/NORMAL-TAGGED"
    static let blocks = "PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED"

    /// The map with the first PMD block of [1G, 2G) made invalid as `encode` says.
    func lines(presentInvalid: Bool, _ encode: (Descriptor) -> Descriptor) throws -> [String] {
        let layout = try MachineLayout.builtin("single", memory: 2 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        let pud = TablePage(pt.root[0])
        try pt.splitPUD(pud, 1, toCont: false, kind: .kernel)
        let pmd = TablePage(pud[1])
        pmd[0] = encode(pmd[0])
        return ptdump(pt, layout: layout, presentInvalid: presentInvalid).split(separator: "\n").map(String.init)
    }

    /// v7.0 (15bfba1ad77f): the block keeps PTE_PRESENT_INVALID (the nG bit), pmd_leaf()
    /// holds, and note_page prints it with F and NG.
    @Test func presentInvalidBlockPrintsWithF() throws {
        let dump = try lines(presentInvalid: true) { $0.clearing(Descriptor.valid).setting(Descriptor.presentInvalid) }
        #expect(dump.contains("0xffff000004000000-0xffff000040000000         960M \(Self.contBlocks)"))
        #expect(dump.contains("0xffff000040000000-0xffff000040200000           2M PMD F     RW NX SHD AF NG     BLK UXN    MEM/NORMAL-TAGGED"))
        #expect(dump.contains("0xffff000040200000-0xffff000080000000        1022M \(Self.blocks)"))
    }

    /// Before it: the invalid block is neither a leaf nor none, so nothing is noted and the
    /// CONT run before it is printed up to the next noted address: the block "looks valid".
    @Test func invalidBlockBeforePresentInvalidJoinsThePreviousRun() throws {
        let dump = try lines(presentInvalid: false) { $0.clearing(Descriptor.valid) }
        #expect(dump.contains("0xffff000004000000-0xffff000040200000         962M \(Self.contBlocks)"))
        #expect(dump.contains("0xffff000040200000-0xffff000080000000        1022M \(Self.blocks)"))
        #expect(!dump.contains { $0.contains(" F ") })
    }
}
