import Testing
import PageTableModel
import KernelCallers

/// Spec §4's closed formula for the TLBIs of a range flush with FEAT_TLBIRANGE, 2 ≤ N ≤ 2^21.
private func rangeOps(_ n: UInt64) -> Int {
    [n >= 65536, n % 65536 >= 2048, n % 2048 >= 64, n % 64 >= 2, n % 2 == 1].filter { $0 }.count
}

private let base: UInt64 = 0xffff_0000_4000_0000

private func flush(pages: UInt64, range: Bool, erratum: Bool = false) throws -> (Counters, [TLBInvalidation]) {
    let pt = try PageTable()
    var seen: [TLBInvalidation] = []
    pt.tlbObserver = { seen.append($0) }
    TLBFlush(rangeSupport: range, repeatErratum: erratum).flushKernelRange(pt, from: base, to: base + pages * 4096)
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
                case .all: Issue.record("unexpected flush-all")
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
func repeatErratumDoublesEachTLBI(pages n: UInt64) throws {
    for range in [false, true] {
        let (plain, plainEvents) = try flush(pages: n, range: range)
        let (c, events) = try flush(pages: n, range: range, erratum: true)
        #expect(c.tlbi == 2 * plain.tlbi)
        #expect(c.dsbIsh == plain.dsbIsh + plain.tlbi, "one dsb ish between each TLBI and its repeat")
        #expect(c.dsbIshst == plain.dsbIshst && c.isb == plain.isb)
        #expect(events == plainEvents.flatMap { [$0, $0] })
    }
}
