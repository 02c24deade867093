import Testing
import PageTableModel
import LinearMap
import KernelCallers

@Test func requestsAreDeterministicAlignedAndInsideOrdinaryMemory() throws {
    let layout = try MachineLayout.builtin("numa2", memory: 8 << 30)
    let image = layout.kernelAliasVA
    let banks = layout.banks.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
    for size in [RequestSize.fixed(pages: 16), .uniform(pages: 1...600), .powerOfTwo(maxLog2: 10)] {
        for placement in [RequestPlacement.uniform, .clustered(clusters: 3, spreadPages: 1000)] {
            let a = Array(try PermRequests(layout: layout, count: 500, size: size, placement: placement, seed: 7))
            let b = Array(try PermRequests(layout: layout, count: 500, size: size, placement: placement, seed: 7))
            let c = Array(try PermRequests(layout: layout, count: 500, size: size, placement: placement, seed: 8))
            #expect(a.count == 500 && a == b && a != c)
            for r in a {
                #expect(r.start % 4096 == 0)
                #expect(banks.contains { $0.contains(r.start) && r.end <= $0.upperBound })
                #expect(r.end <= image.start || r.start >= image.end, "\(r) overlaps the kernel image")
                switch size {
                case .fixed(let n): #expect(r.pages == n)
                case .uniform(let range): #expect(range.contains(r.pages))
                case .powerOfTwo(let k): #expect(r.pages.nonzeroBitCount == 1 && r.pages <= 1 << k)
                }
            }
        }
    }
}

@Test func clusteredRequestsStayNearFewCentres() throws {
    let layout = try singleLayout(gib: 8)
    let requests = Array(try PermRequests(layout: layout, count: 300, size: .fixed(pages: 1),
                                          placement: .clustered(clusters: 2, spreadPages: 8), seed: 1))
    // Two centres, each request within 8 pages of one: at most 2 · 17 distinct pages
    // (fewer near the kernel image, where pages are moved past it).
    #expect(Set(requests.map(\.start)).count <= 2 * 17)
    #expect(Set(requests.map(\.start)).count > 2)
}

@Test func powerOfTwoMixUsesEverySize() throws {
    let requests = Array(try PermRequests(layout: try singleLayout(), count: 400, size: .powerOfTwo(maxLog2: 4), seed: 3))
    #expect(Set(requests.map(\.pages)) == [1, 2, 4, 8, 16])
}

@Test func oversizedRequestsAreRejected() throws {
    #expect(throws: LayoutError.self) {
        try PermRequests(layout: try singleLayout(), count: 1, size: .fixed(pages: 1 << 21), seed: 0)
    }
}

@Test func distinctPagesSkipRepeatsAndRefusalsButConsumeThem() {
    var draws: [UInt64] = [5, 3, 5, 7, 2, 3, 9]
    func draw() -> UInt64? { draws.isEmpty ? nil : draws.removeFirst() }
    // The second 5, the taken 3 and the refused 7 are drawn and dropped.
    var taken: Set<UInt64> = [3]
    #expect(distinctPages(3, from: draw, taken: &taken, where: { $0 != 7 }) == [5, 2, 9])
    #expect(draws.isEmpty && taken == [2, 3, 5, 9])
    // A stream that runs dry gives fewer.
    draws = [4, 4, 6]
    #expect(distinctPages(5, from: draw) == [4, 6])
    #expect(draws.isEmpty)
}
