/// The churn scenario's time series as `bench plot` draws them from a `--series` CSV:
///   churn-leaves-VARIANT.svg  the linear map by leaf size, stacked: bytes mapped by PTEs,
///                             then with CONT PTEs, PMDs and CONT PMDs added (the rest is PUDs)
///   churn-reach.svg           TLB reach (entries to cover the map), a line per run
///   churn-mpki.svg            dTLB walks per 1,000 accesses of the fixed trace, a line per run
public struct ChurnCharts: Sendable {
    /// The series file's first column: a row with it is a sample, not a run.
    public static let marker = "churn_series_version"
    /// Columns that name a run: the variant, then any of these that differ among the runs.
    static let runColumns = ["memory_bytes", "mode", "seed", "kernel", "cpu", "live_areas", "events", "pack_share", "text_share"]

    public let title: String?
    public init(title: String? = nil) { self.title = title }

    public func charts(_ rows: [[String: String]]) throws(ChartError) -> [ReportCharts.Chart] {
        guard !rows.isEmpty else { return [] }
        let runs = Runs(rows: rows, parameters: Self.runColumns)
        let varying = Self.runColumns.filter(runs.varies)
        let name = { (r: [String: String]) in ([r["variant"] ?? ""] + varying.map { "\(axisName($0)) \(r[$0] ?? "")" }).joined(separator: ", ") }
        let subtitle = runs.fixed(excluding: []).map { "\(axisName($0.column)) \($0.value)" }.joined(separator: ", ")
        func value(_ r: [String: String], _ c: String) throws(ChartError) -> Double {
            guard let v = Double(r[c] ?? "") else { throw ChartError("churn series: column \(c) is '\(r[c] ?? "")' at event \(r["event"] ?? "?")") }
            return v
        }
        var charts: [ReportCharts.Chart] = []
        let variants = firstAppearance(rows.map { $0["variant"] ?? "" })
        let kinds: [(String, String, Double)] = [("PTE", "leaf_pte", 4096), ("+ CONT PTE", "leaf_pte_cont", 4096),
                                                  ("+ PMD", "leaf_pmd", 2 * 1_048_576), ("+ CONT PMD", "leaf_pmd_cont", 2 * 1_048_576)]
        for variant in variants {
            var points: [LineChart.Point] = []
            for r in rows where r["variant"] == variant {
                var sum = 0.0
                for (label, column, bytes) in kinds {
                    sum += try value(r, column) * bytes
                    points.append(LineChart.Point(x: try value(r, "event"), y: sum, series: varying.isEmpty ? label : "\(name(r)): \(label)"))
                }
            }
            let chart = LineChart(heading: ChartHeading(title ?? "churn \(variant): linear map by leaf size (stacked)", subtitle: subtitle),
                                  xAxis: Axis("events"), yAxis: Axis("mapped by leaves up to this size", scale: .log, unit: .bytes))
            charts.append(.init(file: "churn-leaves-\(variant).svg", svg: try chart.svg(points)))
        }
        for (file, column, what, unit) in [("churn-reach.svg", "tlb_reach_entries", "TLB reach (entries to cover the map)", ValueUnit.count),
                                           ("churn-mpki.svg", "walks_per_1k_accesses", "dTLB walks per 1,000 accesses", .count)] {
            var points: [LineChart.Point] = []
            for r in rows where !(r[column] ?? "").isEmpty {
                points.append(LineChart.Point(x: try value(r, "event"), y: try value(r, column), series: name(r)))
            }
            guard !points.isEmpty else { continue }
            let chart = LineChart(heading: ChartHeading(title ?? "churn: \(what)", subtitle: subtitle),
                                  xAxis: Axis("events"), yAxis: Axis(what, unit: unit))
            charts.append(.init(file: file, svg: try chart.svg(points)))
        }
        return charts
    }
}
