/// Where an access of a mixed trace goes: the linear map, or one of the regions whose
/// mapping does not depend on the linear map's (issue 13, "What would explain −28.5 %").
public enum AccessClass: Int, CaseIterable, Sendable {
    case linear, image, vmalloc, user
}

/// The shares of a mixed trace's accesses per class; the linear map gets the rest.
public struct MixShares: Equatable, Sendable {
    public var image = 0.0
    public var vmalloc = 0.0
    public var user = 0.0

    public init(image: Double = 0, vmalloc: Double = 0, user: Double = 0) {
        (self.image, self.vmalloc, self.user) = (image, vmalloc, user)
    }

    /// What the other shares leave (0 when they sum to 1 up to rounding).
    public var linear: Double { max(0, 1 - image - vmalloc - user) }
    public var isLinearOnly: Bool { image == 0 && vmalloc == 0 && user == 0 }
    /// The shares are fractions that leave the linear map a share ≥ 0 (1e-9 of slack
    /// for decimal fractions such as 0.1 + 0.2 + 0.7).
    public var isValid: Bool {
        [image, vmalloc, user].allSatisfy { $0 >= 0 && $0 <= 1 } && image + vmalloc + user <= 1 + 1e-9
    }

    /// Accesses per class (`AccessClass` order) out of `total`: each share's whole part,
    /// the remainder to the largest fractions (the earlier class on a tie), so the counts
    /// sum to `total` and equal share × total whenever that is whole.
    public func counts(of total: Int) -> [Int] {
        let exact = [linear, image, vmalloc, user].map { $0 * Double(total) }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - exact[$0].rounded(.down), $1) > (exact[$1] - exact[$1].rounded(.down), $0) }
        for k in order.prefix(max(0, total - counts.reduce(0, +))) { counts[k] += 1 }
        return counts
    }
}

/// The page size of the user pages a mixed trace touches (`--user-page`): base pages, a
/// 64K mTHP folio under one CONT group (arm64 contpte), or a 2M THP PMD block.
public enum UserPageSize: String, CaseIterable, Sendable {
    case k4 = "4K", k64 = "64K", m2 = "2M"

    public var bytes: UInt64 {
        switch self {
        case .k4: 4 << 10
        case .k64: 64 << 10
        case .m2: 2 << 20
        }
    }
}

/// A trace mix: the shares and the size of the regions the non-linear shares touch.
public struct MixSpec: Equatable, Sendable {
    public var shares = MixShares()
    /// vmalloc'd task stacks (`--stacks`).
    public var stacks = 64
    /// User memory the kernel touches through TTBR0 (`--user-bytes`), in `userPage` pages.
    public var userBytes: UInt64 = 1 << 30
    public var userPage = UserPageSize.k4
    public init() {}
}

/// A trace whose accesses go to the linear map (drawn from `linear`, unchanged) or to
/// the regions of `MixRegions`, per the shares: of every `period` accesses exactly
/// `shares.counts(of: period)` per class, in a seeded order (each next access takes a
/// class with probability its remaining count over the accesses left in the period).
/// Region accesses are uniform and 8-byte aligned: over the image's data/bss, over a
/// uniformly chosen stack, over the user memory.
public struct MixTrace<Linear: TraceGenerator>: TraceGenerator {
    private var linear: Linear
    private let perPeriod: [Int]
    private var left: [Int]
    private var leftInPeriod: Int
    private let image: (base: UInt64, bytes: UInt64)
    private let stacks: (base: UInt64, count: UInt64)
    private let user: (base: UInt64, bytes: UInt64)
    private var random: TraceRandom
    /// Accesses drawn per class so far.
    public private(set) var drawn = [0, 0, 0, 0]

    public init(linear: Linear, regions: MixRegions, period: Int, seed: UInt64) {
        precondition(period > 0, "a mix period holds at least one access")
        self.linear = linear
        perPeriod = regions.spec.shares.counts(of: period)
        left = perPeriod
        leftInPeriod = period
        image = (regions.imageBase, regions.imageBytes)
        stacks = (regions.stackBase, UInt64(regions.spec.stacks))
        user = (regions.userBase, regions.spec.userBytes)
        // Its own stream: the linear generator's addresses stay those of the plain trace.
        random = TraceRandom(seed: seed ^ 0x5851_F42D_4C95_7F2D)
    }

    public mutating func next() -> UInt64 {
        if leftInPeriod == 0 {
            left = perPeriod
            leftInPeriod = perPeriod.reduce(0, +)
        }
        var pick = random.below(UInt64(leftInPeriod))
        var c = 0
        while pick >= UInt64(left[c]) {
            pick -= UInt64(left[c])
            c += 1
        }
        left[c] -= 1
        leftInPeriod -= 1
        drawn[c] += 1
        switch AccessClass(rawValue: c)! {
        case .linear: return linear.next()
        case .image: return image.base + random.below(image.bytes) & ~7
        case .vmalloc:
            let stack = random.below(stacks.count)
            return stacks.base + stack * MixRegions.threadAlign + random.below(MixRegions.threadSize) & ~7
        case .user: return user.base + random.below(user.bytes) & ~7
        }
    }
}
