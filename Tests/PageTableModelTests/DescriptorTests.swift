import Testing
import PageTableModel

@Suite struct DescriptorTests {
    @Test func pageKernelHasTheSpecBits() {
        let d = Prot.kernel
        #expect(d.raw & 0b11 == 0b11)
        for bit in [Descriptor.af, Descriptor.pxn, Descriptor.uxn, Descriptor.write] { #expect(d.raw & bit != 0) }
        #expect(d.raw & Descriptor.shInner == 0b11 << 8)
        #expect(d.memoryType == MemoryType.normal.rawValue)
        #expect(d.isValidKernel)
        #expect(Prot.kernelRO.raw & Descriptor.write == 0 && Prot.kernelRO.raw & Descriptor.rdonly != 0)
    }

    @Test(arguments: [UInt64(0), 0x4000_0000, 0xffff_ffff_f000, 0x1234_5678_9000])
    func outputAddressRoundTrips(pa: UInt64) {
        let page = Prot.kernel.with(outputAddress: pa)
        #expect(page.outputAddress == pa)
        #expect(page.attributes == Prot.kernel.attributes)
        let block = page.asBlock
        #expect(block.isBlock && !block.isTable && block.outputAddress == pa)
        #expect(block.asPage == page)
        #expect(block.attributes == page.attributes)
    }

    @Test func tableDescriptorCarriesTableBits() {
        let t = Descriptor.table(at: 0x7f00_1234_5000, pxnTable: true)
        #expect(t.isTable && t.isValid && t.outputAddress == 0x7f00_1234_5000)
        #expect(t.raw & Descriptor.pxnTable != 0 && t.raw & Descriptor.uxnTable != 0 && t.raw & Descriptor.tableAF != 0)
        #expect(Descriptor.table(at: 0x1000, pxnTable: false).raw & Descriptor.pxnTable == 0)
    }

    @Test func validKernelNeedsValidNotUserAndUXN() {
        #expect(!Prot.kernel.clearing(Descriptor.valid).isValidKernel)
        #expect(!Prot.kernel.setting(Descriptor.user).isValidKernel)
        #expect(!Prot.kernel.clearing(Descriptor.uxn).isValidKernel)
        #expect(!Descriptor.zero.isValidKernel)
    }

    @Test func contBitIsBit52() {
        #expect(Prot.kernel.setting(Descriptor.cont).raw == Prot.kernel.raw | (1 << 52))
        #expect(Prot.kernel.setting(Descriptor.cont).isCont)
    }
}
