import Testing
import PageTableModel
import KernelCallers

/// Spec §4's closed formula for the TLBIs of a range flush with FEAT_TLBIRANGE, 2 ≤ N ≤ 2^21.
private func rangeOps(_ n: UInt64) -> Int {
    [n >= 65536, n % 65536 >= 2048, n % 2048 >= 64, n % 64 >= 2, n % 2 == 1].filter { $0 }.count
}

private let base: UInt64 = 0xffff_0000_4000_0000

private func flush(pages: UInt64, range: Bool, repeatTLBI: RepeatTLBI = .off) throws -> (Counters, [TLBInvalidation]) {
    let pt = try PageTable()
    var seen: [TLBInvalidation] = []
    pt.tlbObserver = { seen.append($0) }
    TLBFlush(rangeSupport: range, repeatTLBI: repeatTLBI).flushKernelRange(pt, from: base, to: base + pages * 4096)
    return (pt.counters, seen)
}

@Test(arguments: [1, 2, 3, 16, 511, 512, 65536, 1 << 21, (1 << 21) + 1] as [UInt64])
func kernelRangeFlushCounts(pages n: UInt64) throws {
    for range in [false, true] {
        let (c, events) = try flush(pages: n, range: range)
        let flushesAll = (!range && n >= 512) || n > 1 << 21
        // Either way the flush is bracketed by dsb ishst … dsb ish; isb.
        #expect(c.dsbIshst == 1 && c.dsbIsh == 1 && c.isb == 1)
        if flushesAll {
            #expect(c.tlbiAll == 1 && c.tlbiPage == 0 && c.tlbiRange == 0)
            #expect(events == [.all])
        } else if !range {
            #expect(c.tlbiPage == Int(n) && c.tlbiRange == 0 && c.tlbiAll == 0)
        } else {
            let expected = n == 1 ? 1 : rangeOps(n)
            #expect(c.tlbi == expected && c.tlbiAll == 0)
            #expect(c.tlbiPage == (n % 2 == 1 ? 1 : 0), "only the odd leftover page is a plain TLBI")
        }
        // The ops cover exactly the requested pages, in order, with real VAs.
        if !flushesAll {
            var va = base
            for e in events {
                switch e {
                case .page(let v): #expect(v == va); va += 4096
                case .range(let v, let p): #expect(v == va && p >= 2); va += p * 4096
                case .all, .syncRepeat: Issue.record("unexpected \(e)")
                case .pageAllLevels: Issue.record("unexpected table flush")
                }
            }
            #expect(va == base + n * 4096)
        }
    }
}

@Test func spec4Examples() throws {
    for (n, ops) in [(2, 1), (3, 2), (16, 1), (512, 1)] as [(UInt64, Int)] {
        #expect(try flush(pages: n, range: true).0.tlbi == ops)
    }
}

@Test func emptyRangeStillCostsTheBarriers() throws {
    for range in [false, true] {
        let (c, events) = try flush(pages: 0, range: range)
        #expect(c.dsbIshst == 1 && c.dsbIsh == 1 && c.isb == 1 && c.tlbi == 0 && events.isEmpty)
    }
}

@Test func unalignedBoundsRoundOutToPages() throws {
    let pt = try PageTable()
    // [base + 1, base + 4097) touches two pages.
    TLBFlush().flushKernelRange(pt, from: base + 1, to: base + 4097)
    #expect(pt.counters.tlbiPage == 2)
}

@Test func flushAllSequence() throws {
    let pt = try PageTable()
    TLBFlush().flushAll(pt)
    #expect(pt.counters.dsbIshst == 1 && pt.counters.tlbiAll == 1 && pt.counters.dsbIsh == 1 && pt.counters.isb == 1)
}

@Test(arguments: [1, 3, 16, 511, 512, 65536] as [UInt64])
func perTLBIRepeatDoublesEachTLBI(pages n: UInt64) throws {
    for range in [false, true] {
        let (plain, plainEvents) = try flush(pages: n, range: range)
        let (c, events) = try flush(pages: n, range: range, repeatTLBI: .perTLBI)
        #expect(c.tlbi == 2 * plain.tlbi)
        #expect(c.dsbIsh == plain.dsbIsh + plain.tlbi, "one dsb ish between each TLBI and its repeat")
        #expect(c.dsbIshst == plain.dsbIshst && c.isb == plain.isb)
        #expect(events == plainEvents.flatMap { [$0, $0] })
    }
}

/// N per-page ops (no range support, N < 512): per-tlbi costs 2N TLBIs and N + 1 dsb ish,
/// per-sync (a8f78680ee6b) N + 1 TLBIs and 2 dsb ish, the extra one `tlbi vale1is, xzr`
/// after the completing dsb ish. dsb ishst and isb stay 1.
@Test(arguments: [1, 2, 511] as [Int])
func repeatGenerationsPerPage(pages n: Int) throws {
    let (perTLBI, _) = try flush(pages: UInt64(n), range: false, repeatTLBI: .perTLBI)
    #expect(perTLBI.tlbi == 2 * n && perTLBI.tlbiPage == 2 * n && perTLBI.dsbIsh == n + 1)
    let (perSync, events) = try flush(pages: UInt64(n), range: false, repeatTLBI: .perSync)
    #expect(perSync.tlbi == n + 1 && perSync.tlbiPage == n && perSync.tlbiSyncRepeat == 1 && perSync.dsbIsh == 2)
    #expect(events.last == .syncRepeat && events.dropLast().allSatisfy { if case .page = $0 { true } else { false } })
    for c in [perTLBI, perSync] { #expect(c.dsbIshst == 1 && c.isb == 1) }
}

/// With range support 2048 + 16 + 1 pages are 3 ops (a 2048-page and a 16-page range op,
/// then the odd page): per-tlbi 6 TLBIs and 4 dsb ish, per-sync 4 TLBIs and 2 dsb ish.
@Test func repeatGenerationsWithRangeOps() throws {
    let n: UInt64 = 2048 + 16 + 1
    let (plain, _) = try flush(pages: n, range: true)
    #expect(plain.tlbi == 3 && plain.tlbiRange == 2 && plain.tlbiPage == 1)
    let (perTLBI, _) = try flush(pages: n, range: true, repeatTLBI: .perTLBI)
    #expect(perTLBI.tlbi == 6 && perTLBI.tlbiRange == 4 && perTLBI.dsbIsh == 4)
    let (perSync, events) = try flush(pages: n, range: true, repeatTLBI: .perSync)
    #expect(perSync.tlbi == 4 && perSync.tlbiRange == 2 && perSync.tlbiSyncRepeat == 1 && perSync.dsbIsh == 2)
    #expect(events.last == .syncRepeat)
}

/// flush_tlb_all: per-tlbi repeats vmalle1is after a dsb ish; per-sync completes it with
/// dsb ish, tlbi vale1is xzr, dsb ish. Either way one dsb ishst and one isb.
@Test func repeatGenerationsOnFlushAll() throws {
    func counts(_ r: RepeatTLBI) throws -> (Counters, [TLBInvalidation]) {
        let pt = try PageTable()
        var seen: [TLBInvalidation] = []
        pt.tlbObserver = { seen.append($0) }
        TLBFlush(repeatTLBI: r).flushAll(pt)
        return (pt.counters, seen)
    }
    let (perTLBI, tlbiEvents) = try counts(.perTLBI)
    #expect(perTLBI.tlbiAll == 2 && perTLBI.tlbi == 2 && perTLBI.dsbIsh == 2 && tlbiEvents == [.all, .all])
    let (perSync, syncEvents) = try counts(.perSync)
    #expect(perSync.tlbiAll == 1 && perSync.tlbiSyncRepeat == 1 && perSync.tlbi == 2 && perSync.dsbIsh == 2)
    #expect(syncEvents == [.all, .syncRepeat])
    for c in [perTLBI, perSync] { #expect(c.dsbIshst == 1 && c.isb == 1) }
    // A range flush that falls back to flush_tlb_all completes the same way.
    let (fallback, _) = try flush(pages: 512, range: false, repeatTLBI: .perSync)
    #expect(fallback == perSync)
}
