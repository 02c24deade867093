import LinearMap

/// The runs one chart draws, seen through their parameter columns: what they all shared
/// (the title and subtitle) and what tells apart runs that would land on the same mark.
struct Runs {
    let rows: [[String: String]]
    /// The parameter columns, in the CSV's order.
    let parameters: [String]

    /// The workload columns a title names, in this order; the rest go to the subtitle.
    static let titleColumns = ["scenario", "memory_bytes", "requests", "variant"]

    func value(_ row: [String: String], _ column: String) -> String { row[column] ?? "" }

    /// The parameters with one value on every row. An empty field is a parameter the run
    /// does not use, so perm's variant, empty for all but the leaf walker, is not fixed.
    func fixed(excluding: Set<String>) -> [(column: String, value: String)] {
        parameters.filter { !excluding.contains($0) }.compactMap { column in
            let values = Set(rows.map { value($0, column) })
            return values.count == 1 && values.first != "" ? (column, values.first!) : nil
        }
    }

    func varies(_ column: String) -> Bool { Set(rows.map { value($0, column) }).count > 1 }

    /// The parameters besides `key` that take two values among rows with the same `key`
    /// values: rows that would share a bar or a point, told apart by them.
    func distinguishing(key: [String], ignoring: Set<String> = []) -> [String] {
        let groups = Dictionary(grouping: rows) { row in key.map { value(row, $0) } }
        return parameters.filter { column in
            !key.contains(column) && !ignoring.contains(column)
                && groups.values.contains { Set($0.map { value($0, column) }).count > 1 }
        }
    }

    /// The parameters besides `excluding` that differ among the rows but have one value for
    /// each value of `column`: repaint's walker follows its variant, perm's variant its walker.
    func following(_ column: String, excluding: Set<String>) -> [String] {
        let groups = Dictionary(grouping: rows) { value($0, column) }
        return parameters.filter { other in
            other != column && !excluding.contains(other) && varies(other)
                && groups.values.allSatisfy { Set($0.map { value($0, other) }).count == 1 }
        }
    }

    /// One row per distinct values of `columns`, the first of those that agree: the same
    /// run given twice (say, in two --input files) is drawn once.
    func unique(by columns: [String]) -> Runs {
        var seen = Set<[String]>()
        return Runs(rows: rows.filter { row in seen.insert(columns.map { value(row, $0) }).inserted }, parameters: parameters)
    }

    /// The rows ordered by `columns`: sizes and numbers ascending, words as they first appear.
    func sorted(by columns: [String]) -> Runs {
        let ranks = columns.map { column in rank(rows.map { value($0, column) }) }
        let keyed = rows.enumerated().map { i, row in (zip(columns, ranks).map { $1[value(row, $0)]! }, i, row) }
        let ordered = keyed.sorted { a, b in a.0 == b.0 ? a.1 < b.1 : a.0.lexicographicallyPrecedes(b.0) }
        return Runs(rows: ordered.map(\.2), parameters: parameters)
    }

    private func rank(_ values: [String]) -> [String: Double] {
        var ranks: [String: Double] = [:]
        let numbers = values.map(Double.init)
        if numbers.allSatisfy({ $0 != nil }) {
            for (v, n) in zip(values, numbers) { ranks[v] = n! }
        } else {
            for v in values where ranks[v] == nil { ranks[v] = Double(ranks.count) }
        }
        return ranks
    }

    /// "<what>: perm, 256 GiB, 10,000 requests, v6.18", of the title columns that are fixed.
    func title(_ what: String, shown: Set<String>) -> String {
        let fixed = Dictionary(uniqueKeysWithValues: self.fixed(excluding: shown).map { ($0.column, $0.value) })
        let workload = Self.titleColumns.compactMap { c in fixed[c].map { describe(c, $0) } }
        return workload.isEmpty ? what : what + " — " + workload.joined(separator: ", ")
    }

    /// The other fixed parameters, e.g. "lazy on · seed 1 · single".
    func subtitle(shown: Set<String>) -> String {
        fixed(excluding: shown.union(Self.titleColumns)).map { describe($0.column, $0.value) }.joined(separator: " · ")
    }
}

/// A parameter's value as a chart shows it: in the option's words ("lazy on", "seed 1",
/// "1,000 requests", "256 GiB"); "" for a parameter the run does not use.
func describe(_ column: String, _ value: String) -> String {
    let shown = valueText(column, value)
    guard !value.isEmpty else { return "" }
    switch column {
    case "scenario", "variant", "layout", "memory_bytes": return shown
    case "working_set_bytes": return "working set \(shown)"
    case "requests", "accesses": return "\(shown) \(column)"
    case "mode": return "\(value) mapping"
    case "create_path": return "\(value) create path"
    case "kfence_pool": return "kfence \(value)"
    case "tlbi_range_support": return "tlbi-range \(shown)"
    case "request_pages": return "\(value) pages per request"
    case "placement": return "\(value) placement"
    case "trace": return "\(value) trace"
    case "tlb": return "TLB \(value)"
    case "split_fraction_requested": return "split \(shown)"
    default: return column.replacingOccurrences(of: "_", with: "-") + " " + shown
    }
}

/// A parameter's value alone: sizes in binary units, counts with grouped digits, 0/1 as
/// off/on, split fractions as percentages ("256 GiB", "1,000", "on", "1 %").
func valueText(_ column: String, _ value: String) -> String {
    switch column {
    case _ where column.hasSuffix("_bytes"): ByteSize.parse(value).map { binarySize(Double($0)) } ?? value
    case "requests", "accesses": Double(value).map(groupedDigits) ?? value
    case "split_fraction_requested": Double(value).map(percent) ?? value
    default: value
    }
}
