import BenchHarness
import Foundation
import Testing

@Suite struct ParallelSweepTests {
    /// Every scenario that needs no input file, small.
    static let mixed = ["sweep", "--quiet", "--scenario", "boot,perm,repaint,kfence,debug-pagealloc,tlb,mosaic,realm-boot,hotplug", "--memory", "1G,2G"]

    @Test func jobsGiveTheSerialRowsByteForByteInTheCounterColumns() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let one = tmp.path("j1.csv"), three = tmp.path("j3.csv")
        #expect(try BenchProcess.run(Self.mixed + ["--jobs", "1", "--csv", one]).status == 0)
        let r = try BenchProcess.run(Self.mixed + ["--jobs", "3", "--csv", three, "--format", "json"])
        #expect(r.status == 0)
        let serial = try String(contentsOfFile: one, encoding: .utf8), parallel = try String(contentsOfFile: three, encoding: .utf8)
        #expect(serial.split(separator: "\n").count == 19)
        #expect(countedColumns(parallel) == countedColumns(serial))
        // stdout is built from the same results as the file.
        #expect(r.stdout.components(separatedBy: "\"scenario\": ").count - 1 == 18)
        #expect(!FileManager.default.fileExists(atPath: three + ".partial"))
    }

    @Test func rowsKeepTheSweepOrderWhenTheFirstRunIsTheSlowest() throws {
        // The 64G pte boot finishes well after the 1G runs that start beside it.
        let args = ["sweep", "--quiet", "--scenario", "boot", "--memory", "64G,1G,2G,4G", "--mode", "pte", "--format", "csv"]
        let r = try BenchProcess.run(args + ["--jobs", "2"])
        #expect(r.status == 0)
        let rows = countedColumns(r.stdout)
        let column = try #require(rows[0].firstIndex(of: "memory_bytes"))
        #expect(rows.map { $0[column] } == ["memory_bytes"] + [64, 1, 2, 4].map { String($0 << 30) })
        #expect(countedColumns(r.stdout) == countedColumns(try BenchProcess.run(args + ["--jobs", "1"]).stdout))
    }

    /// A child killed (as the OOM killer would): one line names the run and the signal,
    /// the rows before it stay in FILE.partial, and the sweep exits 1 as a serial one does.
    @Test func aFailingJobFailsTheSweepAndKeepsTheRowsBeforeIt() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.path("killed.csv")
        let p = Process()
        p.executableURL = BenchProcess.executable
        p.arguments = ["sweep", "--quiet", "--scenario", "boot", "--memory", "1G,256G,2G", "--mode", "pte", "--repeat", "5",
                       "--jobs", "2", "--csv", csv]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var victim: pid_t?
        for _ in 0..<2000 where victim == nil {
            victim = children(of: p.processIdentifier).first { cmdline($0).contains("--memory=256G") }
            if victim == nil { usleep(5_000) }
        }
        let pid = try #require(victim)
        kill(pid, SIGKILL)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(stderr.split(separator: "\n") == [
            "bench: partial rows kept in \(csv).partial",
            "bench: run 2 of 3 (boot \(KernelVersion.latest.name) ampereone create pte 256G): killed by signal 9 (Killed)",
        ])
        #expect(!FileManager.default.fileExists(atPath: csv))
        let kept = try String(contentsOfFile: csv + ".partial", encoding: .utf8)
        #expect(kept.split(separator: "\n").count == 2)
        #expect(kept.contains(",\(1 << 30),"))
    }

    @Test func badJobsIsOneLineNamingTheOption() throws {
        let r = try BenchProcess.run(["sweep", "--memory", "1G", "--jobs", "0"])
        #expect(r.status == 1)
        #expect(r.stderr == "bench: --jobs: '0' is not valid; use a whole number ≥ 1, e.g. 2\n")
    }

    @Test func aRunStartsOnlyWhenItsEstimateFitsBesideTheRunningOnes() {
        var slots = JobSlots(jobs: 3, budget: 10)
        #expect(slots.fits(.max))
        slots.start(0, estimate: 6)
        #expect(!slots.fits(5))
        #expect(slots.fits(4))
        slots.start(1, estimate: 4)
        #expect(slots.runningBytes == 10)
        #expect(slots.fits(0))
        slots.start(2, estimate: 0)
        #expect(!slots.fits(0))
        slots.finish(0)
        #expect(slots.fits(6))
        #expect(!slots.fits(7))
    }
}

private func children(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { pid_t($0) }.filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        // After "pid (comm) state": the parent's pid.
        return stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap { pid_t($0) } == parent
    }
}

private func cmdline(_ pid: pid_t) -> String {
    let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
    return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
}
