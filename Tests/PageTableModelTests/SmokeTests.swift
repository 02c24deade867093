import Testing
import PageTableModel
import LinearMap

@Test func smoke256() throws {
    for mode in MappingMode.allCases {
        let layout = try MachineLayout.builtin("single", memory: 256 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
        let h = pt.leafHistogram()
        print(mode, pt.allocator.allocated, h, pt.counters, pt.allocator.tableBytes, pt.allocator.arenaAllocatedBytes)
        print(pt.verify(linearOffset: layout.linearOffset))
        print(layout.memTotalKB(pageTableBytes: pt.allocator.tableBytes))
    }
}
