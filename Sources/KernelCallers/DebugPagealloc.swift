import PageTableModel
import LinearMap
import SplitWalkers

/// debug_pagealloc churn on a PTE-mapped linear map (spec §6, Callers): every page
/// allocation and free maps or unmaps the page through __kernel_map_pages →
/// set_memory_valid(page, 1, enable), from task context, from softirq, or nested inside
/// another task-context lazy-MMU section.
///
/// The outer section models apply_to_page_range: it rewrites `outerWrites` valid kernel
/// PTEs of its own (the last pages of the last bank, with their current values, so the
/// map is unchanged) and the nested page event runs after the first `nestAfter` of them.
/// How the two sections interact is the page table's nesting policy (LazyMMU.swift):
/// tolerant just nests, never-nest pauses around __kernel_map_pages, counted nests counts.
public struct DebugPagealloc {
    public enum Placement: String, Sendable, CaseIterable {
        case task, softirq, nested
    }

    /// One page allocation (`enable`) or free.
    public struct Event: Sendable, Equatable {
        public var va: UInt64
        public var enable: Bool
        public var placement: Placement
        public init(va: UInt64, enable: Bool, placement: Placement) {
            (self.va, self.enable, self.placement) = (va, enable, placement)
        }
    }

    public let pt: PageTable
    public let layout: MachineLayout
    public let perms: Permissions
    public let outerWrites: Int
    public let nestAfter: Int
    /// The outer section's pages: never churned.
    public let outerPages: Range<UInt64>
    /// The PTE slots of the outer pages, found once.
    private let outerSlots: [(table: TablePage, index: Int)]

    /// On `context` with W1 before ce2b3a50ad92, W1 has no force_pte_mapping() early exit,
    /// so it takes the sleeping pgtable_split_lock even from softirq. debug_pagealloc
    /// itself forces a PTE-mapped linear map.
    public init(pt: PageTable, layout: MachineLayout, context: KernelContext = KernelContext(),
                outerWrites: Int = 8, nestAfter: Int = 4) throws(LayoutError) {
        guard outerWrites >= 0, (0...outerWrites).contains(nestAfter) else {
            throw LayoutError("debug-pagealloc: need 0 ≤ nestAfter ≤ outerWrites")
        }
        var context = context
        context.forcePTEMapping = true
        self.pt = pt
        self.layout = layout
        perms = Permissions(pt: pt, context: context)
        self.outerWrites = outerWrites
        self.nestAfter = nestAfter
        outerPages = try Self.outerPages(in: layout, outerWrites: outerWrites)
        var slots: [(TablePage, Int)] = []
        for k in 0..<outerWrites {
            guard let slot = Self.pteSlot(pt, outerPages.lowerBound + UInt64(k) * 4096) else {
                throw LayoutError("debug-pagealloc: the outer section's pages are not PTE-mapped")
            }
            slots.append(slot)
        }
        outerSlots = slots
    }

    // MARK: Running

    public func run(_ events: [Event]) throws(KernelError) {
        for e in events { try run(e) }
    }

    public func run(_ e: Event) throws(KernelError) {
        switch e.placement {
        case .task:
            try kernelMapPages(e.va, pages: 1, enable: e.enable)
        case .softirq:
            do { try pt.inSoftirq { try kernelMapPages(e.va, pages: 1, enable: e.enable) } }
            catch { throw error as! KernelError }  // the body throws nothing else
        case .nested:
            try outerSection(nesting: e)
        }
    }

    /// __kernel_map_pages: set_memory_valid on the pages; never-nest leaves any lazy
    /// section around it and re-enters afterwards.
    public func kernelMapPages(_ va: UInt64, pages: Int, enable: Bool) throws(KernelError) {
        let pause = pt.lazyMMU.policy == .neverNest
        if pause { pt.lazyMMUPause() }
        defer { if pause { pt.lazyMMUResume() } }
        try perms.setMemoryValid(va, pages: pages, enable: enable)
    }

    /// The outer lazy section (a no-op with lazy MMU off, as on arm64 before v6.16), with
    /// the page event `inner` (if any) after its first
    /// `nestAfter` PTE writes.
    public func outerSection(nesting inner: Event?) throws(KernelError) {
        try pt.inLazyMMU(perms.context.lazyMMU) { () throws(KernelError) in
            for (k, slot) in outerSlots.enumerated() {
                if k == nestAfter, let inner { try kernelMapPages(inner.va, pages: 1, enable: inner.enable) }
                pt.writePTE(slot.table, slot.index, slot.table[slot.index])
            }
            if nestAfter == outerWrites, let inner { try kernelMapPages(inner.va, pages: 1, enable: inner.enable) }
        }
    }

    // MARK: Churn

    /// `count` page events over the layout's ordinary memory (outside the kernel image, an
    /// early kfence pool and the outer pages): a free of a mapped page or, half the time
    /// when some page is free, the reallocation of a freed one. Each event lands in
    /// softirq with probability `softirq`, else nested with probability `nested`.
    public func churn(count: Int, softirq: Double, nested: Double, seed: UInt64) -> [Event] {
        let pieces = layout.ordinaryPieces.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
        let pages = pieces.reduce(0) { $0 + UInt64($1.count) / 4096 } - UInt64(outerWrites)
        var rng = SplitMix64(seed: seed)
        var freed: [UInt64] = [], isFree = Set<UInt64>()
        var events: [Event] = []
        events.reserveCapacity(count)
        while events.count < count {
            let enable = !freed.isEmpty && rng.nextDouble() < 0.5
            let va: UInt64
            if enable {
                va = freed.swapRemoveAt(Int(rng.below(UInt64(freed.count))))
                isFree.remove(va)
            } else {
                var k = rng.below(pages), piece = 0
                while k >= UInt64(pieces[piece].count) / 4096 { k -= UInt64(pieces[piece].count) / 4096; piece += 1 }
                va = pieces[piece].lowerBound + k * 4096
                guard isFree.insert(va).inserted else { continue }
                freed.append(va)
            }
            let u = rng.nextDouble()
            let placement: Placement = u < softirq ? .softirq : (u < softirq + nested ? .nested : .task)
            events.append(Event(va: va, enable: enable, placement: placement))
        }
        return events
    }

    // MARK: Helpers

    /// The outer section's pages: the top of the last ordinary piece, which must hold
    /// twice as many pages so the churn has pages of its own there.
    public static func outerPages(in layout: MachineLayout, outerWrites: Int = 8) throws(LayoutError) -> Range<UInt64> {
        guard let p = layout.ordinaryPieces.last else { throw LayoutError("debug-pagealloc: the layout has no ordinary memory") }
        let last = layout.va(ofPA: p.start)..<layout.va(ofPA: p.end)
        guard last.count >= UInt64(outerWrites) * 4096 * 2 else {
            throw LayoutError("debug-pagealloc: the last bank's ordinary memory (\(last.count / 4096) pages) is too small for \(outerWrites) outer pages and as many to churn")
        }
        return (last.upperBound - UInt64(outerWrites) * 4096)..<last.upperBound
    }

    /// The PTE table and index mapping `va`, by an uncounted lookup.
    private static func pteSlot(_ pt: PageTable, _ va: UInt64) -> (TablePage, Int)? {
        var table = pt.root
        for level in [Level.pgd, .pud, .pmd] {
            let entry = table[pt.geometry.index(va, level)]
            guard entry.isValid, entry.isTable else { return nil }
            table = TablePage(entry)
        }
        return (table, pt.geometry.index(va, .pte))
    }
}

extension Array {
    /// Removes the element at `i` in O(1) by moving the last one there.
    fileprivate mutating func swapRemoveAt(_ i: Int) -> Element {
        swapAt(i, count - 1)
        return removeLast()
    }
}
