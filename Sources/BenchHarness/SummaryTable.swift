import Foundation
import LinearMap

/// Human-readable renderings of results.
public enum SummaryTable {
    public static func label(_ s: RunSpec) -> String {
        let memory = s.values["memory"].flatMap(UInt64.init).map(ByteSize.format) ?? s.values["layout"] ?? ""
        return "\(s.kind.rawValue) \(s.walkerLabel)\(s.values["lazy"].map { " lazy=\($0)" } ?? "") \(s.mode.rawValue) \(memory)"
    }

    static let headers = ["scenario", "walker", "variant", "lazy", "nesting", "mode", "memory", "dsb ishst", "dsb ish", "isb", "tlbi",
                          "pt alloc", "pt MiB", "leaves", "walks", "errors", "mpki", "ms", "×memset"]

    static func cells(_ r: RunResult) -> [String] {
        let s = r.spec, v = s.values
        return [s.kind.rawValue, s.walkerLabel, v["variant"] ?? v["create-barriers"] ?? "-", v["lazy"] ?? "-",
                v["nesting"] ?? "-", s.mode.rawValue, ByteSize.format(r.memoryBytes), grouped(r.counters.dsbIshst),
                grouped(r.counters.dsbIsh), grouped(r.counters.isb), grouped(r.counters.tlbi), grouped(r.pagesAllocated),
                String(format: "%.1f", Double(r.tableBytes) / Double(1 << 20)), grouped(r.histogram.leaves),
                grouped(r.counters.walks), grouped(r.errors), r.tlb.map { String(format: "%.2f", $0.mpkiProxy) } ?? "-",
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
            let fields = zip(names, CSVSchema.fields(r)).map { name, value in
                "\"\(name)\": " + (isJSONNumber(value) ? value : jsonString(value))
            }
            return "  {" + fields.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    /// A plain decimal JSON accepts (not "inf", "nan" or "0x10").
    static func isJSONNumber(_ text: String) -> Bool {
        text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
