import LinearMap
import PageTableModel

/// The mappings a mixed trace's non-linear accesses go through, in a table of their own
/// whose root is lent the linear map's root entries for a run (`withView`), so one walk
/// reaches either, as one swapper_pg_dir does. None of it changes with the linear map's
/// mode; its tables are scratch (no counter of the run sees them).
///
/// - image: the kernel image's data/bss [__init_end, __bss_stop) at its KIMAGE_VADDR
///   address, with map_range's leaves (arch/arm64/kernel/pi/map_range.c at torvalds/linux
///   6867849aac96; map_kernel.c at 030b3ffbdac7 maps _data.._end with may_use_cont): a
///   block where VA, PA and the chunk end are aligned, CONT on 64K-aligned PTE groups, no
///   CONT PMD. KASLR is off: the image's VA is KIMAGE_VADDR plus its PA's offset in 2 MiB.
/// - vmalloc: `stacks` task stacks of THREAD_SIZE (16K: MIN_THREAD_SHIFT 14 without
///   KASAN) at THREAD_ALIGN (2 × THREAD_SIZE under VMAP_STACK; asm/memory.h at
///   00ef54341936) above the image, each page a scattered order-0 page under its own PTE.
/// - user: `userBytes` of user memory in `userPage` pages, each at a scattered PA. TTBR0
///   has its own table on hardware; the TLB model walks one root, so the pages stand in at
///   a kernel-half root entry nothing else uses (`userBase`). Entries, sizes and walk
///   depths are those of the user mapping; only the VA differs.
public final class MixRegions {
    public let spec: MixSpec
    let tables: PageTable
    public let imageBase: UInt64
    public let imageBytes: UInt64
    public let stackBase: UInt64
    public let userBase: UInt64

    /// KIMAGE_VADDR: MODULES_END, PAGE_END + MODULES_VSIZE (2G since the modules area was
    /// widened from 128M), the start of the vmalloc region (48-bit VA).
    public static let kimageVAddr = VmallocRange.start
    /// The root entry the user pages stand in at: 0xffff_c000_0000_0000, far inside the
    /// vmalloc region.
    public static let userStandIn: UInt64 = 0xffff_c000_0000_0000
    static let threadSize: UInt64 = 16 << 10
    static let threadAlign: UInt64 = 2 * threadSize
    /// The most user memory a mix maps (a 4K-page 64G is 128 MiB of tables).
    public static let maxUserBytes: UInt64 = 64 << 30

    /// Maps the regions the non-zero shares of `spec` touch; PAs of the scattered pages
    /// are seeded draws from `layout`'s RAM.
    public init(_ spec: MixSpec, layout: MachineLayout, seed: UInt64) throws(TLBModelError) {
        guard spec.shares.isValid else {
            throw TLBModelError("--user-share: the image, vmalloc and user shares must be fractions that sum to at most 1")
        }
        self.spec = spec
        do { tables = try PageTable() } catch { throw TLBModelError("--user-share: \(error)") }
        let map = CreateMapping(tables)
        var random = TraceRandom(seed: seed ^ 0x2545_F491_4F6C_DD1D)
        let ram = AddressSpace(layout: layout)
        func scatteredPA(_ size: UInt64) -> UInt64 {
            alignDown(ram.va(at: random.below(ram.bytes)) &+ layout.linearOffset, size)
        }
        let data = layout.dataAlias
        let imageStart = alignDown(layout.kernelImage.start, 2 << 20)
        imageBase = Self.kimageVAddr + (data.start - imageStart)
        imageBytes = data.size
        stackBase = alignUp(Self.kimageVAddr + (data.end - imageStart), 2 << 20)
        userBase = Self.userStandIn
        do {
            if spec.shares.image > 0 {
                guard data.size > 0 else {
                    throw TLBModelError("--image-share: layout \(layout.name) has no data/bss segment to access")
                }
                // One call per 2 MiB chunk: blocks and CONT PTEs as map_range puts them,
                // never a CONT PMD group (which one call over 32 MiB could make).
                var pa = data.start
                while pa < data.end {
                    let next = min(alignDown(pa, 2 << 20) + (2 << 20), data.end)
                    try map.map(virt: imageBase + (pa - data.start), phys: pa, size: next - pa, prot: Prot.kernel, flags: [])
                    pa = next
                }
            }
            if spec.shares.vmalloc > 0 {
                for k in 0..<UInt64(spec.stacks) {
                    for page in stride(from: 0, to: Self.threadSize, by: 4096) {
                        try map.map(virt: stackBase + k * Self.threadAlign + page, phys: scatteredPA(4096), size: 4096,
                                    prot: Prot.kernel, flags: [.noBlock, .noCont])
                    }
                }
            }
            if spec.shares.user > 0 {
                let size = spec.userPage.bytes
                guard spec.userBytes > 0, spec.userBytes % size == 0, spec.userBytes <= Self.maxUserBytes else {
                    throw TLBModelError("--user-bytes: \(spec.userBytes) bytes must be a positive multiple of the \(spec.userPage.rawValue) user page, at most 64G")
                }
                let prot = Prot.kernel.setting(Descriptor.user | Descriptor.nG)
                let flags: MapFlags = switch spec.userPage {
                case .k4: [.noBlock, .noCont]
                case .k64: [.noBlock]
                case .m2: []
                }
                for offset in stride(from: 0, to: spec.userBytes, by: Int(size)) {
                    try map.map(virt: userBase + offset, phys: scatteredPA(size), size: size, prot: prot, flags: flags)
                }
            }
        } catch let error as TLBModelError {
            throw error
        } catch {
            throw TLBModelError("--user-share: mapping the mix regions failed (\(error))")
        }
    }

    /// Table bytes the regions of `spec` need at most (what the memory guard adds).
    public static func tableBytes(_ spec: MixSpec) -> UInt64 {
        // A 2M page is one PMD entry; 4K and 64K pages take a PTE per 4 KiB.
        let userEntries = spec.shares.user > 0 ? spec.userBytes / (spec.userPage == .m2 ? 2 << 20 : 4096) : 0
        let leafTables = userEntries / 512 + 1
        let stackTables = spec.shares.vmalloc > 0 ? UInt64(spec.stacks) / 64 + 2 : 0
        return (leafTables + stackTables + 16) * 4096
    }

    /// Runs `body` with the regions' table lent `pt`'s valid root entries (the linear
    /// map), then takes them back.
    public func withView<R, E: Error>(over pt: PageTable, _ body: (PageTable) throws(E) -> R) throws(E) -> R {
        var lent: [Int] = []
        for i in 0..<pt.geometry.entriesPerTable where pt.root[i].isValid {
            precondition(!tables.root[i].isValid, "the linear map and a mix region share root entry \(i)")
            tables.root[i] = pt.root[i]
            lent.append(i)
        }
        defer { for i in lent { tables.root[i] = .zero } }
        return try body(tables)
    }
}
