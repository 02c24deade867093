import Testing
import Foundation
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

// vmalloc areas, set_memory_* on them and vfree with VM_FLUSH_RESET_PERMS. Every expected
// count below is derived by hand from the kernel code paths (pageattr.c, vmalloc.c,
// mmu.c of v6.18), never read back from the simulator.

private func perms(_ pt: PageTable, _ layout: MachineLayout, _ configure: (inout KernelContext) -> Void = { _ in }) -> Permissions {
    Permissions(pt: pt, context: context(configure), walker: .leaf, vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
}

/// `n` pages from `va`, one after another.
private func run(_ va: UInt64, _ n: Int) -> [UInt64] { (0..<UInt64(n)).map { va + $0 * 4096 } }

/// One per-page alias change that splits nothing: the pageattr rewrite of one valid PTE
/// (queued, one pair at the lazy leave) and a one-page flush.
private let aliasPage = pairs(1) + flushBarriers(pages: 1)

/// The area's own part of one set_memory_* call on `pages` pages: W1 over the vmalloc
/// range (PTEs without CONT: nothing to split, nothing pending), the rewrite of its PTEs
/// (one pair at the leave), then its flush.
private func areaPart(pages: Int) -> Barriers { pairs(1) + flushBarriers(pages: pages) }

@Test func vmallocMapsTheAreaInTheSameTables() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let backing = run(pageOffset + 2 * GiB, 3)
    let mapTables = pt.allocator.pagesAllocated
    let area = try p.vmalloc(backing: backing)
    #expect(area.addr == VmallocRange.start && area.pages == 3 && area.size == 4 * 4096)
    // A PUD, a PMD and a PTE table, each populated outside a lazy section (set_pgd emits;
    // set_pud/set_pmd queue, which emits there); the 3 PTEs in one lazy section: one pair.
    #expect(pt.allocator.pagesAllocated - mapTables == 3)
    #expect(Barriers(pt.counters) == pairs(3) + pairs(1))
    #expect(pt.counters.pteWritten == 3)
    for (k, va) in backing.enumerated() {
        let t = try #require(pt.translate(area.addr + UInt64(k) * 4096))
        #expect(t.pa == va &+ layout.linearOffset && t.level == .pte)
    }
    // The guard page is not mapped; the next area starts after it and reuses the tables.
    #expect(pt.translate(area.end) == nil)
    let second = try p.vmalloc(backing: run(pageOffset + 2 * GiB + 16 * 4096, 1))
    #expect(second.addr == area.addr + area.size && pt.allocator.pagesAllocated - mapTables == 3)
}

/// The issue's case: ro + rw of a 512-page area whose pages are one 2 MiB-aligned run in a
/// PUD block. The ro pass splits: the first page's W1 does split_pud and split_pmd (two
/// explicit dsb ishst) and the CONT splits, one pair at its leave; the first page of each
/// other 64 KiB CONT group only clears CONT (one pair). The rw pass splits nothing.
@Test func roRwOfAContiguousAreaReproducesTheIssue() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let mapTables = pt.allocator.pagesAllocated
    let area = try p.vmalloc(backing: run(pageOffset + 2 * GiB, 512))
    let before = pt.counters
    try p.setMemoryRO(area.addr, pages: 512)
    try p.setMemoryRW(area.addr, pages: 512)
    let c = pt.counters.since(before)
    let groups = 512 / 16
    let splits = explicit(2) + pairs(groups)
    let perPass = Barriers(dsbIshst: 512 * 2, isb: 512 * 2, dsbIsh: 512, tlbiPage: 512)  // 512 × aliasPage
    #expect(perPass == Barriers(dsbIshst: 512 * aliasPage.dsbIshst, isb: 512 * aliasPage.isb, dsbIsh: 512, tlbiPage: 512))
    let expected = splits + perPass + perPass + areaPart(pages: 512) + areaPart(pages: 512)
    #expect(Barriers(c) == expected)
    // The issue's figures leave out the area's own PTE rewrites (one pair per call).
    #expect(c.dsbIshst - 2 == 2084 && c.dsbIsh == 1026 && c.isb - 2 == 2082 && c.tlbi == 1026)
    // One W1 per alias page and one over the area, per call.
    #expect(c.splitLockAcquisitions == 1026)
    #expect(pt.allocator.pagesAllocated - mapTables == 3 + 2)
}

/// A scattered area: 512 pages each in its own 2 MiB block of one PUD block. Every page's
/// W1 must split_pmd (one explicit dsb ishst) and emits at its leave; the first also
/// splits the PUD. So the code gives more than the issue's figures for a scattered area.
@Test func roRwOfAScatteredAreaSplitsPerPage() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let backing = (0..<UInt64(512)).map { pageOffset + 1 * GiB + $0 * 2 * MiB + 0x5000 }
    let area = try p.vmalloc(backing: backing)
    let before = pt.counters, tables = pt.allocator.pagesAllocated
    try p.setMemoryRO(area.addr, pages: 512)
    try p.setMemoryRW(area.addr, pages: 512)
    let c = pt.counters.since(before)
    let splits = explicit(1 + 512) + pairs(512)
    let perPass = Barriers(dsbIshst: 1024, isb: 1024, dsbIsh: 512, tlbiPage: 512)
    #expect(Barriers(c) == splits + perPass + perPass + areaPart(pages: 512) + areaPart(pages: 512))
    #expect(c.splitLockAcquisitions == 1026)
    #expect(pt.allocator.pagesAllocated - tables == 1 + 512)
}

@Test func setMemoryOnALinearAddressIsEINVAL() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let linear = pageOffset + 2 * GiB
    for call in [p.setMemoryRO, p.setMemoryRW, p.setMemoryX, p.setMemoryNX, p.setMemoryROX] {
        #expect(throws: KernelError.einval) { try call(linear, 1) }
    }
    // Refused before anything ran: no split, no flush.
    #expect(pt.counters == Counters())
    // Past the area and its guard page: EINVAL too; the guard page itself is accepted,
    // as area->size counts it.
    let area = try p.vmalloc(backing: run(linear, 4))
    #expect(throws: KernelError.einval) { try p.setMemoryRO(area.addr, pages: 6) }
    try p.setMemoryRO(area.addr, pages: 5)
    // No pages: accepted, nothing done.
    let before = pt.counters
    try p.setMemoryRO(area.addr, pages: 0)
    #expect(pt.counters == before)
    // A VM_ALLOW_HUGE_VMAP area, or one not made by vmalloc, is refused.
    let huge = try p.vmalloc(backing: run(linear + 64 * KiB, 2), flags: [.alloc, .allowHugeVmap])
    #expect(throws: KernelError.einval) { try p.setMemoryRO(huge.addr, pages: 2) }
}

@Test func roxIsRoThenX() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let area = try p.vmalloc(backing: run(pageOffset + 2 * GiB, 4))
    let before = pt.counters
    try p.setMemoryROX(area.addr, pages: 4)
    // ro: the first alias page splits (split_pud, split_pmd, CONT: two explicit, one
    // pair); the other three are in the same CONT group. x changes no RDONLY: no alias loop.
    let ro = explicit(2) + pairs(1) + Barriers(dsbIshst: 8, isb: 8, dsbIsh: 4, tlbiPage: 4) + areaPart(pages: 4)
    #expect(Barriers(pt.counters.since(before)) == ro + areaPart(pages: 4))
    #expect(pt.counters.since(before).splitLockAcquisitions == 4 + 1 + 1)
    let t = try #require(pt.translate(area.addr))
    #expect(t.attributes & Descriptor.rdonly != 0 && t.attributes & Descriptor.pxn == 0)
    // The linear alias is read-only and still never executable.
    let alias = try #require(pt.translate(area.backing[0]))
    #expect(alias.attributes & Descriptor.rdonly != 0 && alias.attributes & Descriptor.pxn != 0)
}

@Test func withoutRodataFullOnlyTheAreaChanges() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout) { $0.rodataFull = false }
    let area = try p.vmalloc(backing: run(pageOffset + 2 * GiB, 4))
    let before = pt.counters
    try p.setMemoryRO(area.addr, pages: 4)
    #expect(Barriers(pt.counters.since(before)) == areaPart(pages: 4))
    #expect(((pt.translate(area.backing[0])?.attributes ?? 0) & Descriptor.rdonly) == 0)
}

/// vfree of a VM_FLUSH_RESET_PERMS area: its PTEs cleared (no barrier) and its range on the
/// purge list; each alias made invalid (W1 finds nothing left to split; an invalid entry
/// queues nothing); one _vm_unmap_aliases flush from the lowest alias to the area's end —
/// linear map to vmalloc region, far over 512 pages: flush_tlb_all; each alias back to
/// the default (a valid kernel entry: one pair each).
@Test func vfreeResetsTheAliases() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let area = try p.vmalloc(backing: run(pageOffset + 2 * GiB, 4))
    try p.setMemoryRO(area.addr, pages: 4)
    let before = pt.counters, tables = pt.allocator.pagesLive
    try p.vfree(area.addr)
    let c = pt.counters.since(before)
    #expect(Barriers(c) == flushBarriers(pages: 512) + pairs(4))
    #expect(c.splitLockAcquisitions == 2 * 4)
    #expect(c.pteWritten == 4 + 4 + 4)
    #expect(pt.translate(area.addr) == nil)
    // The aliases are PAGE_KERNEL again (only finer); the area's tables stay.
    #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) == nil)
    #expect(pt.allocator.pagesLive == tables)
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    #expect(p.vmalloc.lazy.isEmpty && p.vmalloc.areas.isEmpty)
    // Freeing it again: no area (the kernel WARNs).
    #expect(throws: KernelError.einval) { try p.vfree(area.addr) }
    // The purged range is reused.
    #expect(try p.vmalloc(backing: run(pageOffset + 2 * GiB, 1)).addr == area.addr)
}

@Test func aLazilyFreedAreaIsPurgedByTheNextChange() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let old = try p.vmalloc(backing: run(pageOffset + 2 * GiB, 8), flags: [.alloc])
    try p.vfree(old.addr)
    #expect(p.vmalloc.lazy == [old.addr..<(old.addr + old.size)])
    // Not reusable before the purge.
    let area = try p.vmalloc(backing: run(pageOffset + 2 * GiB + 64 * KiB, 2), flags: [.alloc])
    #expect(area.addr == old.addr + old.size)
    let before = pt.counters
    try p.setMemoryNX(area.addr, pages: 2)
    // vm_unmap_aliases flushes the purge list's span (9 pages with the guard); no alias loop.
    #expect(Barriers(pt.counters.since(before)) == flushBarriers(pages: 9) + areaPart(pages: 2))
    #expect(p.vmalloc.lazy.isEmpty)
}

@Test func backingByPhysicalAddress() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    let pas: [UInt64] = [0x1_0000_0000, 0x1_0020_0000]
    let area = try p.vmalloc(backingPAs: pas)
    #expect(area.backing == pas.map { $0 &- layout.linearOffset })
    #expect(pt.translate(area.addr + 4096)?.pa == pas[1])
}

@Test func sleepingAllocationsInSoftirqAreCounted() throws {
    // v6.18's W1 on a block map in softirq: the mutex (a BUG) and two GFP_PGTABLE_KERNEL
    // tables (split_pud, split_pmd), each a sleeping allocation in atomic context.
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let p = perms(pt, layout)
    try pt.inSoftirq { try p.setMemoryValid(pageOffset + 2 * GiB + 0x5000, pages: 1, enable: false) }
    #expect(pt.counters.sleepingLockInAtomic == 1 && pt.counters.sleepingAllocInAtomic == 2)
    // In task context neither counts.
    try p.setMemoryValid(pageOffset + 3 * GiB + 0x5000, pages: 1, enable: false)
    #expect(pt.counters.sleepingLockInAtomic == 1 && pt.counters.sleepingAllocInAtomic == 2)
    // GFP_ATOMIC allocations never sleep.
    _ = pt.inSoftirq { pt.allocateTable(.pte, .atomic) }
    #expect(pt.counters.sleepingAllocInAtomic == 2)
}

@Test func pageattrRewritesAbsentPTEsToo() throws {
    let pt = try PageTable()
    let table = try #require(pt.allocateZeroedTable(.pte, .kernel))
    for i in 0..<3 { pt.writePTENosync(table, i, Prot.kernel.with(outputAddress: UInt64(i) << 12)) }
    pt.counters = Counters()
    pt.updatePTEs(table, from: 0, count: 8, set: Descriptor.rdonly, clear: Descriptor.write)
    // pageattr_pte_entry stores (old & ~clear) | set into all 8, pte_none ones included;
    // only the 3 valid kernel entries queue (no lazy section: 3 pairs).
    #expect(pt.counters.pteWritten == 8 && pt.counters.entriesVisited == 8)
    #expect(Barriers(pt.counters) == pairs(3))
    #expect(table[5] == Descriptor(raw: Descriptor.rdonly) && !table[5].isValid)
}

// MARK: Op traces

private func hex(_ va: UInt64) -> String { "0x" + String(va, radix: 16) }

@Test func vmallocTraceReplaysAsDirectCalls() throws {
    let layout = try singleLayout()
    let a = pageOffset + 2 * GiB, b = pageOffset + 3 * GiB + 0x7000
    let text = """
        op,start,size,context,backing
        vmalloc,area:1,16K,task,contiguous:\(hex(a))
        vmalloc,area:2,8K,task,\(hex(b)) \(hex(b + 2 * MiB))
        set_memory_rox,area:1,16K,task,
        set_memory_ro,area:2+0x1000,4K,softirq,
        set_memory_ro,\(hex(a)),4K,task,
        vfree,area:1,,task,
        vfree,area:2,,task,
        vmalloc,area:1,12K,task,scattered:5
        set_memory_ro,area:1,12K,task,
        vfree,area:1,,task,
        """
    let trace = try OpTrace.parse(text: text)
    #expect(trace.records[1].backing == .pages([b, b + 2 * MiB]) && trace.records[1].area == 2)
    #expect(trace.records[3].area == 2 && trace.records[3].start == 0x1000)
    try trace.check(against: layout)
    let replayed = try buildMap(layout)
    #expect(try trace.replay(perms(replayed, layout), layout: layout, stopOnError: false) == 1)

    let direct = try buildMap(layout)
    let p = perms(direct, layout)
    let one = try p.vmalloc(backing: run(a, 4))
    let two = try p.vmalloc(backing: [b, b + 2 * MiB])
    try p.setMemoryROX(one.addr, pages: 4)
    try direct.inSoftirq { try p.setMemoryRO(two.addr + 0x1000, pages: 1) }
    #expect(throws: KernelError.einval) { try p.setMemoryRO(a, pages: 1) }
    try p.vfree(one.addr)
    try p.vfree(two.addr)
    let three = try p.vmalloc(backing: try AreaBackings.scattered(layout: layout, pages: 3, seed: 5))
    try p.setMemoryRO(three.addr, pages: 3)
    try p.vfree(three.addr)
    #expect(replayed.counters == direct.counters)
    #expect(replayed.allocator.pagesAllocated == direct.allocator.pagesAllocated)
}

@Test(arguments: [
    ("vmalloc,area:1,8K,task\n", 2, 1, "backing column"),
    ("vmalloc,area:x,8K,task,scattered:1\n", 2, 9, "names no area"),
    ("vmalloc,0xffff000080000000,8K,task,scattered:1\n", 2, 9, "takes an area"),
    ("vmalloc,area:1,8K,softirq,scattered:1\n", 2, 19, "task context only"),
    ("vmalloc,area:1,8K,task,scattered:x\n", 2, 24, "seed is not a whole number"),
    ("vmalloc,area:1,8K,task,0xffff000080000000\n", 2, 24, "lists 1 pages for an area of 2"),
    ("vmalloc,area:1,8K,task,contiguous:0x12\n", 2, 24, "page-aligned"),
    ("vfree,area:1,4K,task,\n", 2, 14, "vfree takes no size"),
    ("split,area:1,4K,task,\n", 2, 7, "takes a linear-map address"),
    ("set_memory_ro,area:1+zz,4K,task,\n", 2, 15, "offset 'zz' is not a byte count"),
    ("split,0xffff000080000000,4K,task,scattered:1\n", 2, 34, "only vmalloc takes a backing"),
] as [(String, Int, Int, String)])
func badVmallocLinesGiveOneLineErrors(body: String, line: Int, column: Int, fragment: String) {
    let header = body.hasPrefix("vmalloc,area:1,8K,task\n") ? "op,start,size,context\n" : "op,start,size,context,backing\n"
    let text = header + body
    do {
        _ = try OpTrace.parse(text: text, file: "t.csv")
        Issue.record("parsed: \(text)")
    } catch {
        #expect(error.description.hasPrefix("t.csv:\(line):\(column): "), "\(error.description)")
        #expect(error.description.contains(fragment), "\(error.description)")
    }
}

@Test func checkRefusesAreasThatAreNotLive() throws {
    let layout = try singleLayout()
    for (text, message) in [
        ("set_memory_ro,area:3,4K,task,\n", "t.csv:2:15: area 3 is not live here"),
        ("vmalloc,area:1,4K,task,scattered:1\nvfree,area:1,,task,\nvfree,area:1,,task,\n", "t.csv:4:7: area 1 is not live here"),
        ("vmalloc,area:1,4K,task,scattered:1\nvmalloc,area:1,4K,task,scattered:2\n", "t.csv:3:9: area 1 is already live"),
        ("vmalloc,area:1,4K,task,0xffff000100000000\n", "t.csv:2:24: [0xffff000100000000, 0xffff000100001000) is not all RAM"),
    ] {
        let trace = try OpTrace.parse(text: "op,start,size,context,backing\n" + text, file: "t.csv")
        #expect { try trace.check(against: layout, file: "t.csv") } throws: {
            ($0 as? OpTraceError)?.description.hasPrefix(message) == true
        }
    }
}
