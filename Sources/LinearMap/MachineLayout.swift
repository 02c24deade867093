import Foundation
import PageTableModel

/// A physical address range.
public struct PhysRange: Equatable, Sendable, CustomStringConvertible {
    public var start: UInt64
    public var size: UInt64
    public init(start: UInt64, size: UInt64) { self.start = start; self.size = size }
    /// start + size; nil when that passes 2^64.
    public var checkedEnd: UInt64? {
        let (end, wrapped) = start.addingReportingOverflow(size)
        return wrapped ? nil : end
    }
    /// For a range known not to pass 2^64, as every range of a `MachineLayout`.
    public var end: UInt64 { start + size }
    public func contains(_ other: PhysRange) -> Bool { other.start >= start && other.end <= end }
    public func overlaps(_ other: PhysRange) -> Bool { start < other.end && other.start < end }
    public var description: String {
        let end = checkedEnd.map { "0x" + String($0, radix: 16) } ?? "2^64 + 0x" + String(start &+ size, radix: 16)
        return "[0x\(String(start, radix: 16)), \(end))"
    }
}

/// A layout that cannot be used: one line (control characters of echoed input escaped),
/// naming the parameter at fault.
public struct LayoutError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = InputText.escaped(description) }
}

/// A machine's memory as map_mem sees it: memory banks (memblock regions), the kernel
/// image [_text, __init_begin), the physical address of _stext inside it, the image's
/// data/bss [__init_end, __bss_stop), and an optional early-init kfence pool. Constant once validated: every address computation below relies
/// on the checks.
public struct MachineLayout: Equatable, Sendable {
    public let name: String
    public let banks: [PhysRange]
    public let kernelImage: PhysRange
    /// __pa(_stext): where the image's text starts. Real images put [_text, _stext) (the
    /// image header and PE/COFF stub) in front of it, one SEGMENT_ALIGN (64 KiB) long.
    public let stext: UInt64
    /// [__pa(__init_end), __pa(__bss_stop)): the image's data and bss, which the overlay
    /// map_mem maps on its own (`MapMemVariant`); ordinary RAM to the classic one. Empty
    /// when the defaults do not fit in the image's bank.
    public let dataAlias: PhysRange
    public let kfencePool: PhysRange?

    public static let kfencePoolSize: UInt64 = (255 + 1) * 2 * 4096
    /// A v6.x defconfig's [_text, __init_begin): 64 KiB aligned, not 2 MiB aligned.
    public static let defaultKernelImageSize: UInt64 = 0x1F1_0000
    /// _stext - _text in real arm64 images: SEGMENT_ALIGN.
    public static let defaultStextOffset: UInt64 = 0x1_0000
    /// __init_end - __init_begin of the Debian 6.12 fixtures (Tests/Fixtures/real-kernel).
    public static let defaultInitSize: UInt64 = 0x97_0000
    /// __bss_stop - __init_end: the fixtures' _end - __init_end (0x4c0000) less 64 KiB for
    /// the page tables and early stack the linker script puts after __bss_stop (kallsyms
    /// does not list __bss_stop).
    public static let defaultDataSize: UInt64 = 0x4B_0000
    /// The 48-bit physical address space.
    public static let physicalLimit: UInt64 = 1 << 48
    public static let builtinNames = ["single", "numa2", "numa4", "ampereone-256g"]
    static let gib: UInt64 = 1 << 30

    /// `kernelImage` defaults to `defaultKernelImageSize` bytes 2 MiB into the lowest bank,
    /// `stext` to 64 KiB into the image, `initEnd` to `defaultInitSize` past the image and
    /// `bssStop` to `defaultDataSize` past `initEnd` (both defaults cut at the image's bank end).
    public init(name: String, banks: [PhysRange], kernelImage: PhysRange? = nil, stext: UInt64? = nil,
                initEnd: UInt64? = nil, bssStop: UInt64? = nil, kfencePool: PhysRange? = nil) throws(LayoutError) {
        let sorted = banks.sorted { $0.start < $1.start }
        try Self.validate(banks: sorted, name)
        self.name = name
        self.banks = sorted
        let image = kernelImage ?? PhysRange(start: sorted[0].start + (2 << 20), size: Self.defaultKernelImageSize)
        self.kernelImage = image
        // Wrapping: a hostile image start is refused by validateCarveOuts before any use.
        self.stext = stext ?? image.start &+ min(Self.defaultStextOffset, image.size &- 4096)
        // Wrapping and an image outside every bank: refused by validateCarveOuts as above.
        let bankEnd = sorted.first { $0.start <= image.start && image.start < $0.end }?.end ?? image.start
        let dataStart = initEnd ?? min(image.start &+ image.size &+ Self.defaultInitSize, bankEnd)
        let dataEnd = bssStop ?? min(dataStart &+ Self.defaultDataSize, max(bankEnd, dataStart))
        self.dataAlias = PhysRange(start: dataStart, size: dataEnd &- dataStart)
        self.kfencePool = kfencePool
        try validateCarveOuts()
    }

    /// PA of the linear map's first byte: the lowest RAM address, 1 GiB aligned.
    public var memstart: UInt64 { alignDown(banks[0].start, Self.gib) }
    public var totalBytes: UInt64 { banks.reduce(0) { $0 + $1.size } }
    /// The linear-map VA of `pa`, which lies in [memstart, the top bank's end].
    public func va(ofPA pa: UInt64) -> UInt64 { LinearMapRange.start + (pa - memstart) }
    public var linearStart: UInt64 { va(ofPA: banks[0].start) }
    public var linearEnd: UInt64 { va(ofPA: banks[banks.count - 1].end) }
    /// PA - VA of every linear-map leaf (wrapping arithmetic).
    public var linearOffset: UInt64 { memstart &- LinearMapRange.start }
    public var kernelAliasVA: (start: UInt64, end: UInt64) { (va(ofPA: kernelImage.start), va(ofPA: kernelImage.end)) }
    /// [lm_alias(_stext), lm_alias(__init_begin)): the part of the alias the repaint keeps.
    public var textAliasVA: (start: UInt64, end: UInt64) { (va(ofPA: stext), va(ofPA: kernelImage.end)) }

    /// The linear-map VAs of RAM, in order, adjacent banks as one range.
    public var linearRanges: [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        for bank in banks {
            let r = va(ofPA: bank.start)..<va(ofPA: bank.end)
            if let last = ranges.last, last.upperBound == r.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<r.upperBound
            } else {
                ranges.append(r)
            }
        }
        return ranges
    }

    /// Banks (sorted) that are page-aligned, disjoint, below 2^48 and, from memstart,
    /// within the linear map's 128 TiB: checked before any end or VA is computed.
    private static func validate(banks: [PhysRange], _ name: String) throws(LayoutError) {
        guard let lowest = banks.first else { throw LayoutError("layout \(name): no memory banks") }
        for b in banks {
            guard b.size > 0, b.start % 4096 == 0, b.size % 4096 == 0 else {
                throw LayoutError("layout \(name): bank \(b) is empty or not 4 KiB aligned")
            }
            guard let end = b.checkedEnd, end <= physicalLimit else {
                throw LayoutError("layout \(name): bank \(b) ends above the 48-bit PA space (0x\(String(physicalLimit, radix: 16)))")
            }
        }
        for (a, b) in zip(banks, banks.dropFirst()) where a.overlaps(b) {
            throw LayoutError("layout \(name): banks \(a) and \(b) overlap")
        }
        let memstart = alignDown(lowest.start, gib)
        for b in banks where b.end - memstart > LinearMapRange.span {
            throw LayoutError("layout \(name): bank \(b) cannot be linearly mapped: it ends "
                + "\(ByteSize.format(b.end - memstart)) above memstart 0x\(String(memstart, radix: 16)), "
                + "past the 128T linear map \(LinearMapRange.description)")
        }
    }

    private func validateCarveOuts() throws(LayoutError) {
        for (what, r) in [("kernel image", kernelImage), ("kfence pool", kfencePool)] as [(String, PhysRange?)] {
            guard let r else { continue }
            guard r.size > 0, r.start % 4096 == 0, r.size % 4096 == 0 else {
                throw LayoutError("layout \(name): \(what) \(r) is empty or not 4 KiB aligned")
            }
            guard r.checkedEnd != nil, banks.contains(where: { $0.contains(r) }) else {
                throw LayoutError("layout \(name): \(what) \(r) is not inside one memory bank")
            }
        }
        guard stext % 4096 == 0, stext >= kernelImage.start, stext < kernelImage.end else {
            throw LayoutError("layout \(name): _stext 0x\(String(stext, radix: 16)) is not a 4 KiB aligned address inside the kernel image \(kernelImage)")
        }
        guard dataAlias.start % 4096 == 0, dataAlias.size % 4096 == 0, dataAlias.start >= kernelImage.end,
              dataAlias.start <= dataAlias.start &+ dataAlias.size,
              dataAlias.size == 0 || banks.contains(where: { $0.contains(dataAlias) }) else {
            throw LayoutError("layout \(name): __init_end 0x\(String(dataAlias.start, radix: 16)) and __bss_stop "
                + "0x\(String(dataAlias.start &+ dataAlias.size, radix: 16)) must be 4 KiB aligned, in order after the "
                + "kernel image \(kernelImage), and inside one memory bank")
        }
        if let pool = kfencePool, pool.overlaps(kernelImage) || pool.overlaps(dataAlias) {
            throw LayoutError("layout \(name): kfence pool overlaps the kernel image or its data/bss \(dataAlias)")
        }
    }

    // MARK: Built-ins

    /// A built-in layout; `memory` is ignored by fixed machines (ampereone-256g).
    public static func builtin(_ name: String, memory: UInt64, earlyKfence: Bool = false) throws(LayoutError) -> MachineLayout {
        let banks: [PhysRange]
        switch name {
        case "single", "numa2", "numa4":
            // Bounds every bank computation below; the layout's own check then places the banks.
            guard memory <= LinearMapRange.span else {
                throw LayoutError("--memory: 0x\(String(memory, radix: 16)) bytes is more than the 48-bit linear map holds; use at most 128T")
            }
            banks = name == "single"
                ? [PhysRange(start: 0x4000_0000, size: memory)]  // RAM base of QEMU's virt board
                : try numaBanks(nodes: name == "numa2" ? 2 : 4, memory: memory)
        case "ampereone-256g":
            banks = ampereOneBanks
        default:
            throw LayoutError("--layout: unknown layout '\(name)'; use one of \(builtinNames.joined(separator: ", ")) or a .json file")
        }
        guard banks[0].size >= 64 << 20 else {
            throw LayoutError("--memory: at least 64M per bank is needed (kernel image and early pools live in the first bank)")
        }
        // memblock allocates top-down: the early pool lands just below the top of bank 0.
        let pool = earlyKfence ? PhysRange(start: banks[0].end - kfencePoolSize - 0x1_0000, size: kfencePoolSize) : nil
        do { return try MachineLayout(name: name, banks: banks, kfencePool: pool) } catch {
            throw LayoutError("--memory: \(error.description); use a smaller --memory")
        }
    }

    /// One bank per socket, 1 TiB apart (or the next TiB multiple that holds a node),
    /// node 0 starting at 2 GiB as arm64 servers place DRAM.
    private static func numaBanks(nodes: Int, memory: UInt64) throws(LayoutError) -> [PhysRange] {
        let perNode = memory / UInt64(nodes)
        guard perNode % 4096 == 0, perNode * UInt64(nodes) == memory else {
            throw LayoutError("--memory: must split into \(nodes) equal 4 KiB multiples for this layout")
        }
        let stride = alignUp(perNode + 2 * gib, 1 << 40)
        return (0..<UInt64(nodes)).map { PhysRange(start: $0 * stride + 2 * gib, size: perNode) }
    }

    /// A single-socket AmpereOne with 256 GB: Arm's memory-map windows at 2 GiB, 34 GiB
    /// and 544 GiB, firmware carve-outs removed. Sized so that MemTotal with a PTE-mapped
    /// linear map comes to ≈ 258,988,984 kB (see `memTotalKB`).
    static let ampereOneBanks = [
        PhysRange(start: 0x0_8000_0000, size: 0x7C00_0000),
        PhysRange(start: 0x8_8000_0000, size: 30 * gib),
        PhysRange(start: 0x88_0000_0000, size: 0x36_E000_0000),
    ]

    /// MemTotal the kernel would report: RAM less the kernel image, the struct-page
    /// array (64 bytes per 4 KiB page) and the linear map's page tables.
    public func memTotalKB(pageTableBytes: Int) -> UInt64 {
        let reserved = kernelImage.size + totalBytes / 64 + UInt64(pageTableBytes)
        // A layout of a few pages can reserve more than it has: MemTotal stops at 0.
        return totalBytes > reserved ? (totalBytes - reserved) / 1024 : 0
    }
}
