import BenchHarness
import Testing

/// The issue's two comparison sweeps, at a small size: rows whose resolved behaviours are
/// the same count the same (the kernel or machine label alone moves nothing), and the
/// version changes the spec names move the counts they should.
@Suite struct VersionSweepTests {
    static let counts: [(String, @Sendable (RunResult) -> Int)] = [
        ("dsb ishst", { $0.counters.dsbIshst }), ("dsb ish", { $0.counters.dsbIsh }), ("isb", { $0.counters.isb }),
        ("tlbi", { $0.counters.tlbi }), ("tables", { $0.pagesAllocated }), ("pt bytes", { $0.tableBytes }),
        ("reach", { $0.histogram.tlbReachEntries }),
    ]

    func sweep(_ axes: [(String, String)]) throws -> [RunResult] {
        try Sweep.product(axes.map { ($0.0, Sweep.listItems($0.1)) }).specs.map { try ScenarioRunner.run($0) }
    }

    /// Every parameter value but the labels.
    func behaviours(_ r: RunResult) -> [String: String] { r.spec.values.texts.filter { !["kernel", "cpu"].contains($0.key) } }
    func measured(_ r: RunResult) -> [Int] { Self.counts.map { $0.1(r) } }

    func checkSameBehavioursSameCounts(_ rows: [RunResult]) {
        for (i, a) in rows.enumerated() {
            for b in rows[(i + 1)...] where a.spec.kind == b.spec.kind && behaviours(a) == behaviours(b) {
                #expect(measured(a) == measured(b), "\(a.spec.values["kernel"]!)/\(a.spec.values["cpu"]!) vs \(b.spec.values["kernel"]!)/\(b.spec.values["cpu"]!) \(a.spec.kind)")
            }
        }
    }

    func row(_ rows: [RunResult], _ scenario: String, _ kernel: String, _ cpu: String) -> RunResult {
        rows.first { $0.spec.kind.rawValue == scenario && $0.spec.values["kernel"] == kernel && $0.spec.values["cpu"] == cpu }!
    }

    @Test func bootAcrossVersionsAndMachines() throws {
        let rows = try sweep([("kernel", "v6.9,v6.10,v6.16,v6.18,v7.0,latest"), ("cpu", "ampereone,n1"), ("scenario", "boot"), ("memory", "2G")])
        #expect(rows.count == 12)
        checkSameBehavioursSameCounts(rows)
        // v6.9 → v6.10: the create path; v6.16 → v6.18: AmpereOne maps blocks; N1 never does.
        #expect(row(rows, "boot", "v6.9", "n1").counters.tlbi > row(rows, "boot", "v6.10", "n1").counters.tlbi)
        #expect(measured(row(rows, "boot", "v6.10", "ampereone")) == measured(row(rows, "boot", "v6.16", "ampereone")))
        #expect(row(rows, "boot", "v6.18", "ampereone").tableBytes < row(rows, "boot", "v6.16", "ampereone").tableBytes)
        #expect(row(rows, "boot", "v6.18", "n1").tableBytes == row(rows, "boot", "v6.16", "n1").tableBytes)
    }

    @Test func splitsAcrossVersionsAndMachines() throws {
        let rows = try sweep([("kernel", "v6.18,v7.0,latest"), ("cpu", "ampereone,grace"), ("scenario", "repaint,perm,kfence"), ("memory", "2G")])
        #expect(rows.count == 18)
        checkSameBehavioursSameCounts(rows)
        // Grace has no BBML2_NOABORT: PTE-mapped, nothing splits, and no repaint runs.
        for kernel in ["v6.18", "v7.0", KernelVersion.latest.name] {
            #expect(row(rows, "perm", kernel, "grace").pagesAllocated < row(rows, "perm", kernel, "ampereone").pagesAllocated)
            #expect(row(rows, "repaint", kernel, "grace").counters.tlbi == 0)
        }
        // Grace repeats its TLBIs from v7.2 (cfd391e74134), once per completion.
        #expect(row(rows, "perm", KernelVersion.latest.name, "grace").counters.tlbiSyncRepeat > 0)
        #expect(row(rows, "perm", "v7.0", "grace").counters.tlbiSyncRepeat == 0)
    }
}
