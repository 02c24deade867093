import Testing
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

/// Ranges below the kernel half, or whose end wrapped past 2^64, are refused at each
/// walker's entry: before, the table indices (VA bits 47:12) aliased them into the linear
/// map, and a walk over [0, PAGE_OFFSET) repeated the map 65,535 times.
@Suite struct KernelHalfWalkTests {
    static let refused: [(UInt64, UInt64)] = [
        (0, pageOffset), (0, 4096), (4096, 8192), (pageOffset + 2 * MiB, 4096), (0xffff_ffff_ffe0_0000, 0),
    ]

    @Test(arguments: WalkerKind.allCases)
    func everyWalkerRefusesAtOnceAndChangesNothing(kind: WalkerKind) throws {
        let layout = try singleLayout()
        let pt = try buildMap(layout)
        let w = makeWalker(kind, options: WalkerOptions())
        for (start, end) in Self.refused {
            #expect(throws: KernelError.einval, "[\(start), \(end))") { try w.split(pt, from: start, to: end) }
        }
        #expect(pt.counters == Counters())
        let fresh = try buildMap(layout)
        #expect(pt.leafHistogram() == fresh.leafHistogram())
        #expect(pt.firstMismatch(with: fresh, from: layout.linearStart, to: layout.linearEnd) == nil)
    }

    @Test(arguments: WalkerKind.allCases, [true, false])
    func setMemoryROOfPageZeroIsEINVAL(kind: WalkerKind, bbml2: Bool) throws {
        let layout = try singleLayout()
        let pt = try buildMap(layout)
        let perms = Permissions(pt: pt, context: context { $0.bbml2 = bbml2 }, walker: kind)
        #expect(throws: KernelError.einval) { try perms.setMemoryRO(0, pages: 1) }
        #expect(throws: KernelError.einval) { try perms.updateRangeProt(0, size: pageOffset, .readOnly) }
        #expect(pt.counters.entriesVisited == 0 && pt.counters.totalEntriesWritten == 0)
        #expect(pt.translate(pageOffset)!.attributes & Descriptor.write != 0)
        #expect(pt.firstMismatch(with: try buildMap(layout), from: layout.linearStart, to: layout.linearEnd) == nil)
    }

    @Test func validRangesStillSplit() throws {
        let layout = try singleLayout()
        for kind in WalkerKind.allCases {
            let pt = try buildMap(layout)
            try makeWalker(kind, options: WalkerOptions()).split(pt, from: layout.linearStart + GiB + 4096, to: layout.linearStart + GiB + 8192)
            #expect(pt.translate(layout.linearStart + GiB + 4096)?.level == .pte, "\(kind)")
        }
    }
}
