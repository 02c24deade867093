/// Translation-table geometry (spec §1). Only the 4K granule is built today; every
/// size the model uses is derived from `pageShift` and `bitsPerLevel`, so 16K and 64K
/// are a new `Geometry` value rather than a rewrite.
public enum Level: Int, CaseIterable, Sendable, Comparable {
    case pgd = 0, pud = 1, pmd = 2, pte = 3

    public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    @inlinable public var next: Level { Level(rawValue: rawValue + 1)! }
    public var name: String { ["pgd", "pud", "pmd", "pte"][rawValue] }
}

/// Plain integers only, so a copy is trivial and the hot paths inline every size.
public struct Geometry: Sendable, Equatable {
    public let pageShift: Int
    public let bitsPerLevel: Int
    public let contPTEs: Int
    public let contPMDs: Int
    /// Level-1 (PUD) blocks exist only with the 4K granule.
    public let hasPUDBlocks: Bool

    public static let fourK = Geometry(pageShift: 12, bitsPerLevel: 9,
                                       contPTEs: 16, contPMDs: 16, hasPUDBlocks: true)

    /// "4K", "16K" or "64K".
    public var granuleName: String { "\(1 << (pageShift - 10))K" }

    // Every descent and allocation computes these: always inlined, with wrapping arithmetic
    // (the values are small by construction), so they fold to a shift and a mask.
    @inlinable @inline(__always) public var pageSize: UInt64 { 1 &<< UInt64(pageShift) }
    @inlinable @inline(__always) public var entriesPerTable: Int { 1 &<< bitsPerLevel }
    @inlinable @inline(__always) public var tableBytes: Int { entriesPerTable &* 8 }

    @inlinable @inline(__always) public func shift(_ level: Level) -> Int {
        pageShift &+ (3 &- level.rawValue) &* bitsPerLevel
    }
    @inlinable @inline(__always) public func size(_ level: Level) -> UInt64 { 1 &<< UInt64(shift(level)) }
    @inlinable @inline(__always) public func index(_ va: UInt64, _ level: Level) -> Int {
        Int(truncatingIfNeeded: (va &>> UInt64(shift(level))) & UInt64(entriesPerTable &- 1))
    }
    /// Entries in a contiguous group at `level` (1 where the level has no CONT hint).
    @inlinable @inline(__always) public func contCount(_ level: Level) -> Int {
        switch level {
        case .pte: contPTEs
        case .pmd: contPMDs
        default: 1
        }
    }
    @inlinable @inline(__always) public func contSize(_ level: Level) -> UInt64 { size(level) &* UInt64(contCount(level)) }
    @inlinable public func allowsBlock(_ level: Level) -> Bool { level == .pmd || (level == .pud && hasPUDBlocks) }
}

/// The 48-bit linear map [PAGE_OFFSET, PAGE_END): VA = PAGE_OFFSET + (PA - memstart).
public enum LinearMapRange {
    public static let start: UInt64 = 0xffff_0000_0000_0000
    public static let end: UInt64 = 0xffff_8000_0000_0000
    /// 128 TiB: the most RAM, memstart to the top bank's end, it can map.
    public static let span = end - start
    /// "[0xffff000000000000, 0xffff800000000000)", for messages.
    public static let description = "[0x\(String(start, radix: 16)), 0x\(String(end, radix: 16)))"
}

/// The 48-bit arm64 vmalloc region [VMALLOC_START, VMALLOC_END): above the 2 GiB module
/// region that starts at PAGE_END, up to 256 MiB below the vmemmap (VMEMMAP_START =
/// -2^42 with a 64-byte struct page). In the TTBR1 half, so in the same tables as the
/// linear map, under root entries of its own.
public enum VmallocRange {
    public static let start: UInt64 = 0xffff_8000_8000_0000
    public static let end: UInt64 = 0xffff_fbff_f000_0000
    public static let description = "[0x\(String(start, radix: 16)), 0x\(String(end, radix: 16)))"
}

/// The 48-bit arm64 vmemmap from VMEMMAP_START: the struct page array, 64 bytes
/// (STRUCT_PAGE_MAX_SHIFT 6) per 4 KiB page of the linear map's 128 TiB, from -2^42 — in
/// the TTBR1 half like the linear map, under root entries of its own. The struct page of
/// PA p sits at VMEMMAP_START + ((p - memstart) >> 12) * 64.
public enum VmemmapRange {
    public static let start: UInt64 = 0xffff_fc00_0000_0000
    public static let structPageBytes: UInt64 = 64
}

@inlinable public func isAligned(_ x: UInt64, _ size: UInt64) -> Bool { x & (size &- 1) == 0 }
@inlinable public func alignDown(_ x: UInt64, _ size: UInt64) -> UInt64 { x & ~(size &- 1) }

/// pXd_addr_end: the end of the `size` entry (or CONT group) holding `addr`, clipped to
/// `end`; a boundary that wraps past the top of the address space is `end` too.
@inlinable public func entryEnd(_ addr: UInt64, _ end: UInt64, _ size: UInt64) -> UInt64 {
    let next = alignDown(addr, size) &+ size
    return next == 0 || next > end ? end : next
}
@inlinable public func alignUp(_ x: UInt64, _ size: UInt64) -> UInt64 { (x &+ size &- 1) & ~(size &- 1) }
