import Testing
import PageTableModel
import LinearMap

/// Addresses outside the kernel half never index the tables.
@Suite struct KernelHalfTests {
    @Test func virtualAddressesAreTheKernelHalf() {
        #expect(VirtualAddress(0) == nil)
        #expect(VirtualAddress(0xfffe_ffff_ffff_f000) == nil)
        #expect(VirtualAddress(0xffff_0000_0000_0000)?.bits == LinearMapRange.start)
        #expect(VirtualAddress(.max)?.description == "0xffffffffffffffff")
        #expect(VirtualAddress(0xffff_0000_0000_1000)! < VirtualAddress(0xffff_8000_0000_0000)!)
    }

    private func map() throws -> (PageTable, MachineLayout) {
        let layout = try MachineLayout.builtin("single", memory: 4 << 30)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
        return (pt, layout)
    }

    @Test func lowAddressesDoNotTranslateThroughTheirAlias() throws {
        let (pt, layout) = try map()
        let va = layout.linearStart + 0x123_4000
        #expect(pt.translate(va)?.pa == layout.banks[0].start + 0x123_4000)
        #expect(pt.translate(va & 0x0000_ffff_ffff_ffff) == nil)
        #expect(pt.translate(VirtualAddress(va)!) == pt.translate(va))
    }

    @Test func leavesBelowTheKernelHalfAreNone() throws {
        let (pt, layout) = try map()
        #expect(Array(pt.leaves(from: 0, to: 1 << 48)).isEmpty)
        #expect(Array(pt.leaves(from: 0, to: layout.linearEnd)) == Array(pt.leaves(from: layout.linearStart, to: layout.linearEnd)))
    }

    @Test(arguments: [(0, 0x1000), (0x1000, LinearMapRange.start), (LinearMapRange.start + 0x2000, LinearMapRange.start + 0x1000),
                      (0xffff_ffff_ffff_f000, 0)] as [(UInt64, UInt64)])
    func rangesOutsideTheKernelHalfOrWrappedAreEINVAL(start: UInt64, end: UInt64) throws {
        let (pt, _) = try map()
        #expect(throws: KernelError.einval) { try pt.checkRange(from: start, to: end) }
        let before = pt.counters
        #expect(throws: KernelError.einval) {
            try CreateMapping(pt).map(virt: start, phys: 0x4000_0000, size: end &- start, prot: Prot.kernel, flags: [])
        }
        #expect(pt.counters == before)
    }

    @Test func createRangesPast2To64AreEINVAL() throws {
        let (pt, layout) = try map()
        #expect(throws: KernelError.einval) {
            try CreateMapping(pt).map(virt: 0xffff_ffff_ffff_f000, phys: 0, size: 0x2000, prot: Prot.kernel, flags: [])
        }
        try pt.checkRange(from: layout.linearStart, to: layout.linearEnd)
        try pt.checkRange(from: layout.linearEnd, to: layout.linearEnd)
    }
}
