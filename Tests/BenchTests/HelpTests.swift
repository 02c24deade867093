import BenchHarness
import Foundation
import Testing

/// `bench run --help` shows one example per scenario; each must be a run the parser takes.
@Suite struct HelpTests {
    /// The example command lines of `bench run --help`, continuation lines joined. The
    /// help is read at ArgumentParser's default width, so a line wider than it would show
    /// up here broken.
    static func examples() throws -> [[String]] {
        let help = try BenchProcess.run(["run", "--help"]).stdout
        var lines: [String] = []
        var pending = ""
        for line in help.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard !pending.isEmpty || line.hasPrefix("bench run ") else { continue }
            pending += (pending.isEmpty ? "" : " ") + (line.hasSuffix("\\") ? String(line.dropLast()) : line)
            if !line.hasSuffix("\\") { lines.append(pending); pending = "" }
        }
        return lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).map(String.init) }
    }

    static let outputFlags: Set = ["--csv", "--format", "--series"], outputSwitches: Set = ["--verify", "--quiet"]

    @Test func everyScenarioHasAnExampleThatParses() throws {
        let examples = try Self.examples()
        var scenarios: Set<String> = []
        for args in examples {
            var given: [(String, String)] = []
            var i = 0
            while i < args.count {
                let name = String(args[i].dropFirst(2))
                if Self.outputSwitches.contains(args[i]) { i += 1; continue }
                guard i + 1 < args.count else { Issue.record("\(args): \(args[i]) has no value"); break }
                if !Self.outputFlags.contains(args[i]) { given.append((name, args[i + 1])) }
                i += 2
            }
            let spec = try RunSpec.parse(given)
            scenarios.insert(spec.kind.rawValue)
        }
        #expect(scenarios == Set(Scenario.allCases.map(\.rawValue)))
    }

    @Test func everyOptionShowsItsDefault() throws {
        let help = try BenchProcess.run(["run", "--help"]).stdout
        let usage = try #require(help.range(of: "USAGE:"))
        let options = String(help[usage.upperBound...])
        // An option's entry runs from its line to the next option's.
        let entries = options.components(separatedBy: "\n  --").dropFirst().map { "--" + $0 }
        for p in Parameter.all {
            let entry = entries.first { $0.hasPrefix("--\(p.name) ") }
            #expect(entry?.contains("Default:") == true, "--\(p.name)")
        }
    }

    /// Prose is written as paragraphs, so ArgumentParser wraps it once; an example wider
    /// than its default width would come out broken in two.
    @Test(arguments: ["", "run", "sweep", "suite", "check", "perfcheck", "plot", "ptdump", "schema", "costfit"])
    func examplesFitTheHelpWidth(_ subcommand: String) throws {
        let help = try BenchProcess.run(subcommand.isEmpty ? ["--help"] : [subcommand, "--help"]).stdout
        for line in help.split(separator: "\n") where line.hasPrefix("  bench ") || line.hasPrefix("  ./") {
            #expect(line.count <= 80, "\(line)")
        }
    }
}

/// The committed default-suite summary, as a list post would quote it.
@Suite struct SummaryTests {
    static var summary: [Substring] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Results/summary.txt").standardized.path
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
    }

    @Test func tablesFitOneHundredTwentyColumnsAndFindingsFollow() throws {
        let lines = Self.summary
        let first = try #require(lines.firstIndex { $0.hasPrefix("perm: ") })
        #expect(lines[..<first].allSatisfy { $0.count <= 120 })
        let findings = lines[first...].filter { !$0.isEmpty }
        for prefix in ["perm: ", "repaint to PTEs", "page-table pages allocated: ", "debug_pagealloc: ", "boot, pte, ",
                       "boot, 256G: ", "TLB reach: ", "kfence late init: ", "errors: "] {
            #expect(findings.contains { $0.hasPrefix(prefix) }, "\(prefix)")
        }
    }
}
