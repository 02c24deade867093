import CJemalloc
import Testing
import PageTableModel

@Suite struct AllocatorTests {
    @Test func countsPerLevelAndKindAndTableBytes() throws {
        let a = try TableAllocator()
        var pages: [TablePage] = []
        for (level, kind, n) in [(Level.pud, AllocationKind.kernel, 1), (.pmd, .atomic, 3), (.pte, .kernel, 5), (.pte, .atomic, 2)] {
            for _ in 0..<n { pages.append(a.allocate(level, kind)!) }
        }
        #expect(a.allocated(.pte) == 7 && a.allocated(.pmd) == 3 && a.allocated(.pud) == 1)
        #expect(a.allocated(.atomic) == 5 && a.allocated(.kernel) == 6)
        #expect(a.tableBytes == 11 * 4096)
        #expect(pages.allSatisfy { $0.address % 4096 == 0 })
        #expect(Set(pages.map(\.address)).count == pages.count)
        a.free(pages.removeLast(), .pte, .atomic)
        #expect(a.pagesFreed == 1 && a.tableBytes == 10 * 4096)
    }

    /// Freed pages count as recycled until allocations have taken them back.
    @Test func recycledPagesFollowFreesAndAllocations() throws {
        let a = try TableAllocator()
        let pages = (0..<3).map { _ in a.allocate(.pte, .kernel)! }
        #expect(a.recycledPages == 0)
        a.free(pages[0], .pte, .kernel)
        a.free(pages[1], .pte, .kernel)
        #expect(a.recycledPages == 2)
        _ = a.allocate(.pte, .atomic)
        #expect(a.recycledPages == 1)
        _ = (0..<2).map { _ in a.allocate(.pmd, .kernel) }
        #expect(a.recycledPages == 0)
    }

    @Test func arenaStatisticsSeeTheTables() throws {
        let a = try TableAllocator()
        let before = a.arenaAllocatedBytes
        for _ in 0..<64 { _ = a.allocate(.pte, .kernel) }
        #expect(a.arenaAllocatedBytes - before == 64 * 4096)
    }

    /// CJemallocConfig's start-up options reached jemalloc: the 4 KiB size class, the
    /// tables', has 64-page slabs (one page without them).
    @Test func tableSizeClassHasLargeSlabs() throws {
        func read(_ name: String) -> Int {
            var value = 0, size = MemoryLayout<Int>.size
            #expect(mallctl(name, &value, &size, nil, 0) == 0, "\(name)")
            return value
        }
        var bins: UInt32 = 0, size = MemoryLayout<UInt32>.size
        mallctl("arenas.nbins", &bins, &size, nil, 0)
        let bin = (0..<Int(bins)).first { read("arenas.bin.\($0).size") == 4096 }
        #expect(bin.map { read("arenas.bin.\($0).slab_size") } == 64 * 4096)
    }

    @Test func eachMapHasItsOwnArena() throws {
        let a = try TableAllocator(), b = try TableAllocator()
        #expect(a.arena != b.arena)
    }

    @Test func failsAfterNAllocations() throws {
        let a = try TableAllocator(failure: .after(3))
        let got = (0..<5).map { _ in a.allocate(.pte, .kernel) != nil }
        #expect(got == [true, true, true, false, false])
        #expect(a.failedAllocations == 2 && a.pagesAllocated == 3)
    }

    @Test func probabilisticFailureIsSeededAndRoughlyP() throws {
        func pattern(_ seed: UInt64) throws -> [Bool] {
            let a = try TableAllocator(failure: .probability(0.25, seed: seed))
            return (0..<2000).map { _ in a.allocate(.pte, .kernel) != nil }
        }
        let first = try pattern(7)
        #expect(try pattern(7) == first)
        #expect(try pattern(8) != first)
        let failures = first.filter { !$0 }.count
        #expect(failures > 400 && failures < 600)  // 500 expected; ±4.5 sigma
    }
}
