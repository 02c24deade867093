import LinearMap
import PageTableModel
import Testing
import TLBModel

@Suite struct MosaicTests {
    /// Bytes mapped by leaves of 2 MiB or more.
    static func largeBytes(_ h: LeafHistogram) -> UInt64 { UInt64(h.pud) << 30 + UInt64(h.pmd + h.pmdCont) << 21 }

    @Test(arguments: [0.0, 0.3, 1.0])
    func splitsTheChosenFraction(_ fraction: Double) throws {
        let (pt, layout) = try TestMaps.build(.block)
        let (reference, _) = try TestMaps.build(.block)
        let before = pt.leafHistogram()
        var seen: [(UInt64, UInt64)] = []
        let split = TestMaps.splitter(pt)
        let result = try pt.mosaicSplit(fraction: fraction, seed: 4) { start, end in
            seen.append((start, end))
            try split(start, end)
        }
        let after = pt.leafHistogram()
        #expect(result.chunks == Int(Self.largeBytes(before) >> 21))
        #expect(result.splitChunks == Int((fraction * Double(result.chunks)).rounded()))
        #expect(seen.count == result.splitChunks)
        #expect(seen.allSatisfy { $0.1 - $0.0 == 2 << 20 && $0.0 % (2 << 20) == 0 })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.0 < $1.0 }, "chunks come in VA order, each once")
        #expect(Self.largeBytes(after) == Self.largeBytes(before) - result.splitBytes)
        #expect(after.pte == before.pte + 512 * result.splitChunks)
        #expect(pt.firstMismatch(with: reference, from: LinearMapRange.start, to: LinearMapRange.end) == nil)
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    }

    @Test func placementIsSeeded() throws {
        func chosen(_ seed: UInt64) throws -> [UInt64] {
            let (pt, _) = try TestMaps.build(.block)
            var starts: [UInt64] = []
            try pt.mosaicSplit(fraction: 0.1, seed: seed) { start, _ in starts.append(start) }
            return starts
        }
        #expect(try chosen(1) == chosen(1))
        #expect(try chosen(1) != chosen(2))
    }

    @Test func fractionOutsideTheUnitIntervalIsRejected() throws {
        let (pt, _) = try TestMaps.build(.block)
        #expect(throws: TLBModelError("--mosaic: the split fraction must be within 0…1 (got 1.5)")) {
            try pt.mosaicSplit(fraction: 1.5, seed: 0) { _, _ in }
        }
    }
}
