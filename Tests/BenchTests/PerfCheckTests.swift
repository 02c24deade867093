import BenchHarness
import Testing

@Suite struct PerfCheckTests {
    /// A callgrind 3.19 output file's lines that matter, two events (Ir first), run with
    /// --instr-atstart=no: its summary line says 0, the totals line has the count.
    private let output = """
        # callgrind format
        version: 1
        creator: callgrind-3.19.0
        cmd:  /tmp/perfcheck-1/bench run --scenario boot --memory 4G
        part: 1
        events: Ir Dr
        summary: 0 0
        fn=(1) main
        3 10 4
        totals: 98765432 1234
        """

    @Test func irComesFromTheTotalsLineColumnOfIr() {
        #expect(PerfCheck.instructions(callgrindOutput: output) == 98_765_432)
        let reordered = output.replacingOccurrences(of: "events: Ir Dr", with: "events: Dr Ir")
        #expect(PerfCheck.instructions(callgrindOutput: reordered) == 1234)
        // A dump in two parts (callgrind_control -d): the parts add up.
        #expect(PerfCheck.instructions(callgrindOutput: output + "\npart: 2\ntotals: 8 1\n") == 98_765_440)
    }

    @Test func outputWithoutEventsOrTotalsHasNoCount() {
        #expect(PerfCheck.instructions(callgrindOutput: "") == nil)
        #expect(PerfCheck.instructions(callgrindOutput: "events: Dr\ntotals: 12\n") == nil)
        #expect(PerfCheck.instructions(callgrindOutput: "events: Ir\nsummary: 12\nfn=(1) main\n") == nil)
        #expect(PerfCheck.instructions(callgrindOutput: "events: Ir\ntotals: x\n") == nil)
        #expect(PerfCheck.instructions(callgrindOutput: "totals: 12\nevents: Ir\n") == nil)
    }

    /// 2 % passes, 3 % fails, in either direction.
    @Test(arguments: [(1_000_000, 1_020_000, false), (1_000_000, 1_030_000, true), (1_000_000, 970_000, true),
                      (1_000_000, 980_001, false), (1_000_000, 1_000_000, false), (0, 0, false), (0, 1, true)]
          as [(UInt64, UInt64, Bool)])
    func moreThanTwoPercentEitherWayFails(baseline: UInt64, measured: UInt64, fails: Bool) {
        let line = PerfCheck.Line(configuration: "c", baseline: baseline, measured: measured)
        #expect(line.fails(maxChange: 0.02) == fails)
    }

    @Test func aLineShowsBaselineMeasuredAndChange() {
        let line = PerfCheck.Line(configuration: "--scenario boot --memory 4G", baseline: 1_000_000, measured: 1_030_000)
        #expect(line.rendered(maxChange: 0.02) == "--scenario boot --memory 4G: baseline 1000000, measured 1030000, change +3.00 % CHANGED")
        #expect(PerfCheck.Line(configuration: "c", baseline: 200, measured: 199).rendered(maxChange: 0.02)
                == "c: baseline 200, measured 199, change -0.50 % ok")
    }

    private let baseline = PerfCheck.Baseline(valgrind: "valgrind-3.19.0", entries: [
        .init(configuration: "--scenario boot --memory 4G", instructions: 12),
        .init(configuration: "--scenario tlb --memory 4G", instructions: 34),
    ])

    @Test func baselineRoundTripsThroughItsCSV() throws {
        #expect(baseline.csv == """
            configuration,valgrind,instructions
            --scenario boot --memory 4G,valgrind-3.19.0,12
            --scenario tlb --memory 4G,valgrind-3.19.0,34

            """)
        #expect(try PerfCheck.Baseline.parse(baseline.csv, file: "b.csv") == baseline)
    }

    @Test(arguments: [
        ("", "b.csv: line 1: expected the header 'configuration,valgrind,instructions'"),
        ("configuration,valgrind,instructions\n", "b.csv has no rows"),
        ("configuration,valgrind,instructions\nc,valgrind-3.19.0,12x\n", "b.csv: line 2: expected 'configuration,valgrind,instructions' with a whole instruction count"),
        ("configuration,valgrind,instructions\nc,valgrind-3.19.0,1\nd,valgrind-3.18.1,2\n", "b.csv: line 3: valgrind 'valgrind-3.18.1' differs from the earlier lines' 'valgrind-3.19.0'"),
    ] as [(String, String)])
    func malformedBaselinesAreOneLineErrors(text: String, message: String) {
        #expect(throws: RunError("--baseline: " + message)) { try PerfCheck.Baseline.parse(text, file: "b.csv") }
    }

    @Test func anotherValgrindOrAnotherSetOfConfigurationsIsRefused() throws {
        let gated = baseline.entries.map(\.configuration)
        #expect(try baseline.counts(for: gated, version: "valgrind-3.19.0", file: "b.csv") == [12, 34])
        #expect(try baseline.counts(for: gated.reversed(), version: "valgrind-3.19.0", file: "b.csv") == [34, 12])
        #expect(throws: RunError("--baseline: b.csv was recorded with valgrind-3.19.0, this is valgrind-3.22.0; instruction counts differ between valgrind versions: regenerate it with `bench perfcheck --update`")) {
            try baseline.counts(for: gated, version: "valgrind-3.22.0", file: "b.csv")
        }
        #expect(throws: RunError("--baseline: b.csv has no row for 'x': regenerate it with `bench perfcheck --update`")) {
            try baseline.counts(for: gated + ["x"], version: "valgrind-3.19.0", file: "b.csv")
        }
        #expect(throws: RunError("--baseline: b.csv: '--scenario tlb --memory 4G' is not a gated configuration: regenerate it with `bench perfcheck --update`")) {
            try baseline.counts(for: [gated[0]], version: "valgrind-3.19.0", file: "b.csv")
        }
    }

    /// One small configuration per scenario, each a valid run.
    @Test func everyScenarioIsGatedOnceAtAFewGiB() throws {
        let specs = try PerfCheck.configurations.map { try RunSpec.parse(PerfCheck.options(of: $0)) }
        #expect(specs.map(\.kind.rawValue).sorted() == Scenario.allCases.map(\.rawValue).sorted())
        #expect(PerfCheck.configurations.allSatisfy { $0.contains("--memory 4G") })
    }
}
