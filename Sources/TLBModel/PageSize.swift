/// The translation sizes a TLB entry can cover (spec §8). A 4K-granule map yields 4K,
/// 2M and 1G leaves, 64K and 32M CONT groups, and 16K from four-page coalescing;
/// 512M appears only as the piece of a 1G block that a level without 1G holds.
public enum PageSize: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case k4 = 0, k16, k64, m2, m32, m512, g1

    public static func < (a: PageSize, b: PageSize) -> Bool { a.rawValue < b.rawValue }

    @usableFromInline static let shifts: [Int] = [12, 14, 16, 21, 25, 29, 30]

    public var shift: Int { Self.shifts[rawValue] }
    public var bytes: UInt64 { 1 << UInt64(shift) }
    public var description: String { ["4K", "16K", "64K", "2M", "32M", "512M", "1G"][rawValue] }

    /// The size whose name is `text` (as printed by `description`).
    public init?(named text: String) {
        guard let size = Self.allCases.first(where: { $0.description.lowercased() == text.lowercased() }) else { return nil }
        self = size
    }
}
