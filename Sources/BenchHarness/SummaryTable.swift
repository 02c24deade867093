import Foundation
import LinearMap

/// Human-readable renderings of results: one section per scenario with the columns that
/// scenario's question needs, each under 120 columns (everything else is in the CSV).
public enum SummaryTable {
    public static func label(_ s: RunSpec) -> String {
        let memory = s.values["memory"].flatMap(UInt64.init).map(ByteSize.format) ?? s.values["layout"] ?? ""
        return "\(s.kind.rawValue) \(s.values["kernel"] ?? "") \(s.values["cpu"] ?? "") \(s.walkerLabel)\(s.values["lazy"].map { " lazy=\($0)" } ?? "") \(s.mode.rawValue) \(memory)"
    }

    /// A column: its header and its cell for a result.
    struct Column: Sendable {
        let header: String
        let cell: @Sendable (RunResult) -> String
        /// Text columns are left-aligned; numbers right-aligned.
        let text: Bool
    }

    private static func key(_ header: String, _ parameter: String) -> Column {
        Column(header: header, cell: { $0.spec.values[parameter] ?? "-" }, text: true)
    }
    private static func count(_ header: String, _ value: @escaping @Sendable (RunResult) -> Int) -> Column {
        Column(header: header, cell: { grouped(value($0)) }, text: false)
    }
    private static func decimal(_ header: String, _ digits: Int, _ value: @escaping @Sendable (RunResult) -> Double?) -> Column {
        Column(header: header, cell: { value($0).map { String(format: "%.\(digits)f", $0) } ?? "-" }, text: false)
    }

    static let walker = Column(header: "walker", cell: { $0.spec.walkerLabel }, text: true)
    static let mode = Column(header: "mode", cell: { $0.spec.mode.rawValue }, text: true)
    static let barriers = [
        count("dsb ishst") { $0.counters.dsbIshst }, count("dsb ish") { $0.counters.dsbIsh },
        count("isb") { $0.counters.isb }, count("tlbi") { $0.counters.tlbi },
    ]
    static let tables = [count("pt alloc") { $0.pagesAllocated }, decimal("pt MiB", 1) { Double($0.tableBytes) / 1_048_576 }]
    static let errors = count("errors") { $0.errors }
    static let milliseconds = decimal("ms", 1) { Double($0.cpuNs) / 1e6 }
    static let walksPer1k = decimal("walks/1k", 2) { $0.tlb?.walksPer1kAccesses }
    static let estimate = decimal("est ms", 1) { $0.estimatedNs.map { $0 / 1e6 } }
    static let reach = count("TLB reach") { $0.histogram.tlbReachEntries }

    /// The columns that answer each scenario's question.
    static func columns(_ scenario: Scenario) -> [Column] {
        switch scenario {
        case .boot:
            [mode, key("create path", "create-path"), key("boot", "boot")] + barriers + tables + [errors, milliseconds]
        case .repaint:
            [walker, key("variant", "variant"), key("lazy", "lazy")] + barriers + tables + [errors, milliseconds]
        case .perm:
            [walker, key("lazy", "lazy"), mode, key("change", "change"), key("backing", "placement")] + barriers
                + [count("locks") { $0.counters.splitLockAcquisitions }, count("pt alloc") { $0.pagesAllocated }, errors, milliseconds]
        case .replay:
            [walker, key("lazy", "lazy"), mode] + barriers + [count("walks") { $0.counters.walks }] + tables + [errors, milliseconds]
        case .kfence:
            [key("variant", "variant"), key("lazy", "lazy")] + barriers
                + [count("split lock") { $0.counters.splitLockAcquisitions }, count("pt alloc") { $0.pagesAllocated }, errors]
        case .debugPagealloc:
            [key("variant", "variant"), key("nesting", "nesting"), key("lazy", "lazy")] + barriers
                + [count("events") { $0.requestsIssued }, count("sleeping locks") { $0.counters.sleepingLockInAtomic },
                   count("sleeping allocs") { $0.counters.sleepingAllocInAtomic }, errors]
        case .tlb:
            [mode, key("tlb", "tlb"), key("trace", "trace"), count("accesses") { $0.tlb?.tlbAccesses ?? 0 },
             count("L1 refill") { $0.tlb?.l1dTLBRefill ?? 0 }, count("walks") { $0.tlb?.dtlbWalk ?? 0 }, walksPer1k, reach, milliseconds]
        case .mosaic:
            [mode, walker, key("asked", "split-fraction"), decimal("split", 4) { $0.splitFraction }, count("dsb ishst") { $0.counters.dsbIshst },
             count("isb") { $0.counters.isb }] + tables + [walksPer1k, reach, errors]
        case .realmBoot:
            [mode, key("variant", "variant"), key("present-invalid", "present-invalid"), key("bbml2", "bbml2")]
                + barriers + [count("pt alloc") { $0.pagesAllocated }, count("warn") { $0.counters.warnings },
                              count("ebusy") { $0.counters.ebusyReturns }, errors]
        case .hotplug:
            [mode, key("variant", "variant"), key("bank", "hotplug-bytes"), key("removed", "hotplug-remove")] + barriers
                + [count("refused") { $0.hotplugRefusals }, count("pt alloc") { $0.pagesAllocated },
                   count("pt free") { $0.pagesFreed }, errors, milliseconds]
        case .churn:
            [mode, key("variant", "variant"), count("events") { $0.requestsIssued }] + barriers
                + [count("pt alloc") { $0.pagesAllocated }, count("pt free") { $0.pagesFreed },
                   count("PTE leaves") { $0.histogram.pte + $0.histogram.pteCont }, reach, walksPer1k, errors, milliseconds]
        }
    }

    /// One section per scenario, in the order the results came.
    public static func render(_ results: [RunResult]) -> String {
        var order: [Scenario] = []
        for r in results where !order.contains(r.spec.kind) { order.append(r.spec.kind) }
        return order.map { scenario in
            let rows = results.filter { $0.spec.kind == scenario }
            let memory = Set(rows.map { ByteSize.format($0.memoryBytes) }).sorted().joined(separator: ", ")
            let priced = rows.contains { $0.estimatedNs != nil }
            // The kernel and the machine get a column where the section's rows differ in them.
            let machine = ["kernel", "cpu"].filter { name in Set(rows.map { $0.spec.values[name] }).count > 1 }.map { key($0, $0) }
            return "\(scenario.rawValue) (\(memory))\n" + table(machine + columns(scenario) + (priced ? [estimate] : []), rows)
        }.joined(separator: "\n\n")
    }

    /// A text table with right-aligned numbers.
    static func table(_ columns: [Column], _ results: [RunResult]) -> String {
        let rows = [columns.map(\.header)] + results.map { r in columns.map { $0.cell(r) } }
        let widths = columns.indices.map { i in rows.map { $0[i].count }.max()! }
        // Two spaces between columns, one where that keeps the table within 120 columns.
        let gap = widths.reduce(0, +) + 2 * (widths.count - 1) > 120 ? " " : "  "
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                columns[i].text ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                                : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: gap)
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
