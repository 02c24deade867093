import LinearMap
import PageTableModel
import Testing
import TLBModel

@Suite struct BareWalkTests {
    /// Fixed addresses, round and round.
    struct Fixed: TraceGenerator {
        let addresses: [UInt64]
        var i = 0
        mutating func next() -> UInt64 {
            defer { i = (i + 1) % addresses.count }
            return addresses[i]
        }
    }

    /// A walk loads one descriptor per level it descends, stopping at a leaf or an
    /// invalid entry.
    @Test func loadsOneDescriptorPerLevelReached() throws {
        let (pte, layout) = try TestMaps.build(.pte)
        let mapped = layout.linearStart + (1 << 30) + 0x5000
        // 100 GiB up: the PGD entry is valid, the PUD entry (beyond 4 GiB of RAM) is not.
        let hole = layout.linearStart + (100 << 30)
        var trace = Fixed(addresses: [mapped, hole])
        #expect(BareWalk.run(pte, &trace, count: 10) == 5 * 4 + 5 * 2)
        let (block, _) = try TestMaps.build(.block)
        // A 1 GiB-aligned GiB of RAM outside the kernel image is one PUD block: two loads.
        let pud = block.leafHistogram().pud
        var one = Fixed(addresses: [mapped])
        #expect(pud > 0)
        #expect(BareWalk.run(block, &one, count: 3) == 3 * 2)
    }
}
