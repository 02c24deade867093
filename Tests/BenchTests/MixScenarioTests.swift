import BenchHarness
import Foundation
import Reports
import Testing

/// `--trace perf:FILE` and the trace mix options, run as a user would run them.
@Suite struct MixScenarioTests {
    private let untimed = "1000000000"

    @Test func perfTraceReplaysLinearAddressesAndCountsTheRest() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let trace = try tmp.file("ffff000000401008\n        aaaad0c0\nffff800080123450\nffff000000402010\n", "perf-script.txt")
        let csv = tmp.path("perf.csv")
        let r = try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", "perf:" + trace, "--accesses", "10",
                                      "--csv", csv, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(try CSVTable(contentsOfFile: csv).rows.first)
        #expect(row["trace"] == "perf:" + trace && row["tlb_accesses"] == "10" && row["tlb_faults"] == "0")
        #expect(row["perf_user_addrs"] == "1" && row["perf_kernel_other_addrs"] == "1")
        // SHA-256 of the file's 68 bytes, as sha256sum prints it.
        #expect(row["input_sha256"] == "e298258e1aa3eb2249e97429a6e9ab3b75327cbb9b136f283a9e17faef72cb10")
        #expect(row["seed"] == "")
        let check = try BenchProcess.run(["check", "--baseline", csv, "--quiet", "--min-time-ms", untimed])
        #expect(check.status == 0 && check.stdout.contains("0 regressed"), "\(check.stderr)")
    }

    @Test func malformedPerfLineIsOneLineNamingFileAndLine() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let trace = try tmp.file("ffff000000401008\nnot-an-address\n", "perf-bad.txt")
        expectOneLineError(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", "perf:" + trace]),
                           naming: "--trace: perf:\(trace):2: ")
    }

    @Test func mixSharesReachTheCSVAndReRun() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.path("mix.csv")
        let r = try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--accesses", "20000", "--image-share", "0.1",
                                      "--vmalloc-share", "0.2", "--user-share", "0.3", "--user-page", "2M", "--user-bytes", "64M",
                                      "--csv", csv, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(try CSVTable(contentsOfFile: csv).rows.first)
        #expect(row["image_share"] == "0.1" && row["vmalloc_share"] == "0.2" && row["user_share"] == "0.3")
        #expect(row["stacks"] == "64" && row["user_page"] == "2M" && row["user_bytes"] == "67108864")
        // The faults are the linear part's: memcached accesses that land on the data/bss
        // alias, invalid on the default kernel (82 of 20,000 without a mix).
        #expect(row["tlb_accesses"] == "20000" && row["tlb_faults"] == "30")
        let check = try BenchProcess.run(["check", "--baseline", csv, "--quiet", "--min-time-ms", untimed])
        #expect(check.status == 0 && check.stdout.contains("0 regressed"), "\(check.stderr)")
    }

    @Test func badMixesAreOneLineErrors() throws {
        expectOneLineError(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--image-share", "0.6", "--user-share", "0.5"]),
                           naming: "--user-share: ")
        expectOneLineError(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--stacks", "8"]), naming: "--stacks: ")
        expectOneLineError(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--user-share", "0.5", "--user-page", "2M",
                                                 "--user-bytes", "3M"]), naming: "--user-bytes: ")
    }

    /// A trace file has no random choices, but its mix has: --seed applies then.
    @Test func aMixOverATraceFileTakesASeed() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let trace = try tmp.file("0xffff000000401008\n", "one.txt")
        let plain = try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", trace, "--seed", "3"])
        expectOneLineError(plain, naming: "--seed: ")
        let mixed = try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", trace, "--seed", "3",
                                          "--vmalloc-share", "0.5", "--accesses", "100", "--format", "csv", "--quiet"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(try #require(CSVTable(parsing: mixed.stdout).rows.first)["seed"] == "3")
    }
}
