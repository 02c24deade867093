import PageTableModel
import LinearMap

/// One permission-change request: `pages` pages of the linear map from `start`.
public struct PermRequest: Sendable, Equatable, CustomStringConvertible {
    public var start: UInt64
    public var pages: Int
    public init(start: UInt64, pages: Int) { self.start = start; self.pages = pages }
    public var size: UInt64 { UInt64(pages) << 12 }
    public var end: UInt64 { start + size }
    public var description: String { "0x\(String(start, radix: 16))+\(pages)p" }
}

/// How many pages a request spans.
public enum RequestSize: Sendable, Equatable {
    case fixed(pages: Int)
    /// Uniform in the closed range.
    case uniform(pages: ClosedRange<Int>)
    /// 2^k pages, k uniform in 0...maxLog2.
    case powerOfTwo(maxLog2: Int)
}

/// Where requests land in the mapped memory.
public enum RequestPlacement: Sendable, Equatable {
    case uniform
    /// Around `clusters` centres drawn uniformly, each request within `spreadPages` of one.
    case clustered(clusters: Int, spreadPages: Int)
}

/// A deterministic stream of page-aligned requests over a layout's linear map, outside
/// the kernel image and any early kfence pool; each request lies within one bank.
public struct PermRequests: Sequence {
    public let count: Int
    public let size: RequestSize
    public let placement: RequestPlacement
    public let seed: UInt64
    /// The mappable pieces as page-number ranges of the linear map's VAs.
    private let pieces: [(firstPage: UInt64, pages: UInt64)]
    private let totalPages: UInt64

    public init(layout: MachineLayout, count: Int, size: RequestSize, placement: RequestPlacement = .uniform,
                seed: UInt64) throws(LayoutError) {
        self.count = count
        self.size = size
        self.placement = placement
        self.seed = seed
        pieces = layout.ordinaryPieces.map { (layout.va(ofPA: $0.start) >> 12, $0.size >> 12) }
        totalPages = pieces.reduce(0) { $0 + $1.pages }
        let largest = pieces.map(\.pages).max() ?? 0
        let biggest = size.maximum
        guard size.minimum >= 1, UInt64(biggest) <= largest else {
            throw LayoutError("requests of up to \(biggest) pages do not fit the layout's mapped pieces (largest \(largest) pages)")
        }
        if case .clustered(let c, let s) = placement, c < 1 || s < 0 {
            throw LayoutError("clustered placement needs at least one cluster and a spread ≥ 0")
        }
    }

    public func makeIterator() -> AnyIterator<PermRequest> {
        var rng = SplitMix64(seed: seed)
        var centres: [UInt64] = []
        if case .clustered(let c, _) = placement {
            centres = (0..<c).map { _ in rng.below(totalPages) }
        }
        var produced = 0
        return AnyIterator {
            guard produced < count else { return nil }
            produced += 1
            return next(&rng, centres)
        }
    }

    private func next(_ rng: inout SplitMix64, _ centres: [UInt64]) -> PermRequest {
        let pages = UInt64(drawPages(&rng))
        var index = rng.below(totalPages)
        if case .clustered(_, let spread) = placement {
            let centre = centres[Int(rng.below(UInt64(centres.count)))]
            let offset = rng.below(2 * UInt64(spread) + 1)
            index = Swift.min(Swift.max(centre + offset, UInt64(spread)) - UInt64(spread), totalPages - 1)
        }
        // The piece holding the drawn page; the request is pulled back to fit in it, or
        // moved to the start of the next piece large enough.
        var k = 0, rest = index
        while rest >= pieces[k].pages { rest -= pieces[k].pages; k += 1 }
        while pieces[k].pages < pages { k = (k + 1) % pieces.count; rest = 0 }
        let first = pieces[k].firstPage + Swift.min(rest, pieces[k].pages - pages)
        return PermRequest(start: first << 12, pages: Int(pages))
    }

    private func drawPages(_ rng: inout SplitMix64) -> Int { size.draw(&rng) }
}

extension RequestSize {
    /// One request's page count.
    public func draw(_ rng: inout SplitMix64) -> Int {
        switch self {
        case .fixed(let n): n
        case .uniform(let r): r.lowerBound + Int(rng.below(UInt64(r.count)))
        case .powerOfTwo(let k): 1 << Int(rng.below(UInt64(k) + 1))
        }
    }

    var maximum: Int {
        switch self {
        case .fixed(let n): n
        case .uniform(let r): r.upperBound
        case .powerOfTwo(let k): 1 << k
        }
    }

    var minimum: Int {
        switch self {
        case .fixed(let n): n
        case .uniform(let r): r.lowerBound
        case .powerOfTwo: 1
        }
    }
}

extension SplitMix64 {
    /// Uniform in [0, n) by the multiply-high reduction (stable across toolchains).
    public mutating func below(_ n: UInt64) -> UInt64 { next().multipliedFullWidth(by: n).high }
}

/// Where the pages backing a vmalloc area come from.
public enum BackingPlacement: String, Sendable, CaseIterable {
    /// Order-0 pages drawn one by one, uniformly over the mapped memory (what vmalloc's
    /// bulk order-0 allocation looks like on a long-running machine).
    case scattered
    /// One physically contiguous run (a fresh machine, or a high-order allocation).
    case contiguous
}

/// The first `count` pages `draw` yields that are not in `taken` and that `allowed` takes,
/// in the order drawn (fewer if `draw` runs dry), each added to `taken`: the order-0 pages
/// of a scattered vmalloc backing. A repeat or a refused page is consumed and skipped.
public func distinctPages(_ count: Int, from draw: () -> UInt64?, taken: inout Set<UInt64>,
                          where allowed: (UInt64) -> Bool = { _ in true }) -> [UInt64] {
    var pages: [UInt64] = []
    while pages.count < count, let page = draw() {
        if allowed(page), taken.insert(page).inserted { pages.append(page) }
    }
    return pages
}

/// `distinctPages` of one backing: distinct among themselves only.
public func distinctPages(_ count: Int, from draw: () -> UInt64?) -> [UInt64] {
    var taken = Set<UInt64>()
    return distinctPages(count, from: draw, taken: &taken)
}

/// The backing pages of a deterministic stream of vmalloc areas, as linear-map VAs:
/// area sizes as `PermRequests` draws them; a contiguous area is such a request's run,
/// a scattered one that many distinct pages drawn from a second stream of the seed.
public struct AreaBackings: Sequence {
    let sizes: PermRequests
    let pages: PermRequests
    public let placement: BackingPlacement

    public init(layout: MachineLayout, count: Int, size: RequestSize, placement: BackingPlacement,
                seed: UInt64) throws(LayoutError) {
        sizes = try PermRequests(layout: layout, count: count, size: size, seed: seed)
        pages = try PermRequests(layout: layout, count: .max, size: .fixed(pages: 1), seed: seed ^ 0x5ca7_7e4e_d0a6_e500)
        self.placement = placement
    }

    public func makeIterator() -> AnyIterator<[UInt64]> {
        let runs = sizes.makeIterator()
        let stream = pages.makeIterator()
        let placement = placement
        return AnyIterator {
            guard let run = runs.next() else { return nil }
            switch placement {
            case .contiguous:
                return (0..<UInt64(run.pages)).map { run.start + $0 << 12 }
            case .scattered:
                return distinctPages(run.pages, from: { stream.next()?.start })
            }
        }
    }

    /// One scattered area of `pages` pages (an op trace's `scattered:SEED`).
    public static func scattered(layout: MachineLayout, pages: Int, seed: UInt64) throws(LayoutError) -> [UInt64] {
        let it = try AreaBackings(layout: layout, count: 1, size: .fixed(pages: pages), placement: .scattered, seed: seed).makeIterator()
        return it.next() ?? []
    }
}
