import PageTableModel
import LinearMap
import SplitWalkers

/// The 'single' layout: RAM at PA 0x4000_0000, the linear map from PAGE_OFFSET, the
/// kernel image at +2 MiB (0x1F1_0000 bytes).
func singleLayout(gib: UInt64 = 4) throws -> MachineLayout { try .builtin("single", memory: gib << 30) }

/// A freshly built linear map with counters reset.
func buildMap(_ layout: MachineLayout, mode: MappingMode = .block, nesting: NestingPolicy = .tolerant) throws -> PageTable {
    let pt = try PageTable(nesting: nesting)
    try LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
    pt.counters = Counters()
    return pt
}

let pageOffset = LinearMapRange.start
let KiB: UInt64 = 1 << 10, MiB: UInt64 = 1 << 20, GiB: UInt64 = 1 << 30

func context(_ configure: (inout KernelContext) -> Void) -> KernelContext {
    var context = KernelContext()
    configure(&context)
    return context
}

/// Barrier figures of a phase, for compact expectations.
struct Barriers: Equatable, CustomStringConvertible {
    var dsbIshst = 0, isb = 0, dsbIsh = 0, tlbiPage = 0, tlbiRange = 0, tlbiAll = 0
    init(dsbIshst: Int = 0, isb: Int = 0, dsbIsh: Int = 0, tlbiPage: Int = 0, tlbiRange: Int = 0, tlbiAll: Int = 0) {
        (self.dsbIshst, self.isb, self.dsbIsh) = (dsbIshst, isb, dsbIsh)
        (self.tlbiPage, self.tlbiRange, self.tlbiAll) = (tlbiPage, tlbiRange, tlbiAll)
    }
    init(_ c: Counters) {
        self.init(dsbIshst: c.dsbIshst, isb: c.isb, dsbIsh: c.dsbIsh, tlbiPage: c.tlbiPage,
                  tlbiRange: c.tlbiRange, tlbiAll: c.tlbiAll)
    }
    var description: String {
        "dsb ishst \(dsbIshst), isb \(isb), dsb ish \(dsbIsh), tlbi page/range/all \(tlbiPage)/\(tlbiRange)/\(tlbiAll)"
    }
}

/// flush_tlb_kernel_range of `pages` pages without FEAT_TLBIRANGE (spec §4).
func flushBarriers(pages: Int) -> Barriers {
    pages >= 512 ? Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1, tlbiAll: 1)
                 : Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1, tlbiPage: pages)
}

func + (a: Barriers, b: Barriers) -> Barriers {
    Barriers(dsbIshst: a.dsbIshst + b.dsbIshst, isb: a.isb + b.isb, dsbIsh: a.dsbIsh + b.dsbIsh,
             tlbiPage: a.tlbiPage + b.tlbiPage, tlbiRange: a.tlbiRange + b.tlbiRange, tlbiAll: a.tlbiAll + b.tlbiAll)
}

/// n emitted dsb ishst + isb pairs.
func pairs(_ n: Int) -> Barriers { Barriers(dsbIshst: n, isb: n) }
/// n explicit dsb ishst (split_pmd / split_pud).
func explicit(_ n: Int) -> Barriers { Barriers(dsbIshst: n) }

/// Whether `va` lies in any of the ranges.
func inside(_ va: UInt64, _ ranges: [Range<UInt64>]) -> Bool { ranges.contains { $0.contains(va) } }
