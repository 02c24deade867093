import Foundation
import LinearMap

/// Human-readable renderings of results.
public enum SummaryTable {
    public static func label(_ c: RunConfig) -> String {
        "\(c.scenario.rawValue) \(c.effectiveWalker) lazy=\(c.effectiveLazy ? "on" : "off") \(c.effectiveMode.rawValue) \(ByteSize.format(c.memory))"
    }

    static let headers = ["scenario", "walker", "variant", "lazy", "nesting", "mode", "memory", "dsb ishst", "isb", "tlbi",
                          "pt alloc", "pt MiB", "leaves", "walks", "mpki", "ms", "×memset"]

    static func cells(_ r: RunResult) -> [String] {
        let c = r.config
        return [c.scenario.rawValue, c.effectiveWalker, c.effectiveVariant, c.effectiveLazy ? "on" : "off",
                c.nesting.rawValue, c.effectiveMode.rawValue, ByteSize.format(r.memoryBytes), grouped(r.counters.dsbIshst),
                grouped(r.counters.isb), grouped(r.counters.tlbi), grouped(r.pagesAllocated),
                String(format: "%.1f", Double(r.tableBytes) / Double(1 << 20)), grouped(r.histogram.leaves),
                grouped(r.counters.walks), r.tlb.map { String(format: "%.2f", $0.mpkiProxy) } ?? "-",
                String(format: "%.1f", Double(r.wallNs) / 1e6), String(format: "%.2f", r.wallRatio)]
    }

    /// A text table with right-aligned numbers.
    public static func render(_ results: [RunResult]) -> String {
        let rows = [headers] + results.map(cells)
        let widths = headers.indices.map { i in rows.map { $0[i].count }.max()! }
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                i < 6 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
            return n == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n")
    }

    /// One JSON object per result, keys as the CSV columns.
    public static func json(_ results: [RunResult]) -> String {
        let names = CSVSchema.columns.map(\.name)
        let objects = results.map { r in
            let values = CSVSchema.row(r).split(separator: ",", omittingEmptySubsequences: false)
            let fields = zip(names, values).map { name, value in
                let number = Double(value) != nil && !value.isEmpty
                return "\"\(name)\": " + (number ? String(value) : "\"\(value)\"")
            }
            return "  {" + fields.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    public static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}
