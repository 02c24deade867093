/// The charts `bench plot` draws from bench's CSV rows, each with the name of its file.
///
/// Bar charts put the scenario's main parameter on the axis (perm: the walker) and its
/// second one in the legend (perm: lazy on/off); barrier charts, which already colour the
/// three barriers, nest the second parameter under the first. Runs that would still share a
/// bar or a point, such as two memory sizes, are told apart by their labels: the
/// parameters that differ among them join the category (bars) or the series (lines).
public struct ReportCharts: Sendable {
    public struct Chart: Sendable, Equatable {
        public let file: String
        public let svg: String
    }

    /// The CSV columns that describe a run rather than count it: bench's parameter columns.
    public let parameters: [String]
    /// Replaces every chart's derived title.
    public let title: String?

    public init(parameters: [String], title: String? = nil) {
        self.parameters = parameters
        self.title = title
    }

    struct Metric {
        let column: String
        let name: String
    }

    /// Counts drawn together: one bar chart per scenario, file "<file>-<scenario>.svg".
    struct MetricGroup {
        let file: String
        let what: String
        let axis: String
        let metrics: [Metric]
    }

    /// A scenario's main parameter (the categories) and second one (the series).
    struct BarLayout {
        let scenario: String
        let primary: String
        let secondary: String
    }

    static let groups = [
        MetricGroup(file: "barriers", what: "Barriers", axis: "barriers (count)",
                    metrics: [Metric(column: "dsb_ishst", name: "dsb ishst"), Metric(column: "dsb_ish", name: "dsb ish"),
                              Metric(column: "isb", name: "isb")]),
        MetricGroup(file: "tlbi", what: "TLBIs", axis: "TLBI instructions (count)", metrics: [Metric(column: "tlbi", name: "TLBIs")]),
        MetricGroup(file: "pt-alloc", what: "Page-table pages allocated", axis: "page-table pages allocated",
                    metrics: [Metric(column: "pt_pages_alloc", name: "pages allocated")]),
    ]

    static let layouts = [
        BarLayout(scenario: "boot", primary: "mode", secondary: "create_path"),
        BarLayout(scenario: "perm", primary: "walker", secondary: "lazy"),
        BarLayout(scenario: "repaint", primary: "variant", secondary: "lazy"),
        BarLayout(scenario: "kfence", primary: "variant", secondary: "lazy"),
        BarLayout(scenario: "debug-pagealloc", primary: "nesting", secondary: "variant"),
    ]

    /// Every chart the rows have data for, in a fixed order. A chart whose counts are all
    /// zero (boot's TLBIs) is left out, and so is one whose columns no row has.
    public func charts(_ rows: [[String: String]]) throws(ChartError) -> [Chart] {
        func runs(_ scenario: String) -> Runs { Runs(rows: rows.filter { $0["scenario"] == scenario }, parameters: parameters) }
        var charts: [Chart] = []
        for layout in Self.layouts {
            let mine = runs(layout.scenario)
            guard !mine.rows.isEmpty else { continue }
            for group in Self.groups {
                if let chart = try bars(mine, layout, group) { charts.append(chart) }
            }
            if layout.scenario == "boot", let chart = try tableBytes(mine) { charts.append(chart) }
        }
        let mosaic = runs("mosaic")
        if !mosaic.rows.isEmpty { charts.append(try walksVsSplitFraction(mosaic)) }
        return charts
    }

    /// One chart of a metric group for one scenario's runs.
    func bars(_ all: Runs, _ layout: BarLayout, _ group: MetricGroup) throws(ChartError) -> Chart? {
        let metrics = group.metrics.filter { m in all.rows.contains { $0[m.column] != nil } }
        guard !metrics.isEmpty else { return nil }
        let key = [layout.primary, layout.secondary], extra = all.distinguishing(key: key)
        let nested = metrics.count > 1 && all.varies(layout.secondary)
        let categories = [layout.primary] + (nested ? [layout.secondary] : []) + extra
        let runs = all.unique(by: key + extra).sorted(by: categories + [layout.secondary])
        let coupled = runs.following(layout.primary, excluding: Set(key + extra))
        var bars: [BarChart.Bar] = []
        for (i, row) in runs.rows.enumerated() {
            let category = categoryLevels(row, categories, coupled: coupled)
            for m in metrics {
                let series = metrics.count > 1 ? m.name : describe(layout.secondary, runs.value(row, layout.secondary))
                bars.append(BarChart.Bar(category: category.full, shortCategory: category.short, series: series,
                                         value: try number(row, m.column, i)))
            }
        }
        guard bars.contains(where: { $0.value != 0 }) else { return nil }
        let shown = Set(categories + coupled + (all.varies(layout.secondary) ? [layout.secondary] : []))
        let chart = BarChart(heading: heading(runs, "\(group.what) per \(axisName(layout.primary))", shown: shown),
                             categoryLabel: categories.map(axisName).joined(separator: " · "), valueAxis: Axis(group.axis))
        return Chart(file: "\(group.file)-\(layout.scenario).svg", svg: try chart.svg(bars))
    }

    /// pt-bytes.svg: the linear map's page tables against memory size when the runs have two
    /// sizes or more, else per mapping mode. The barrier policy does not change the tables,
    /// so runs that differ only in it are one point.
    func tableBytes(_ all: Runs) throws(ChartError) -> Chart? {
        guard all.rows.contains(where: { $0["pt_bytes"] != nil }) else { return nil }
        let ignoring: Set = ["create_path"], yAxis = Axis("page-table memory", unit: .bytes)
        guard all.varies("memory_bytes") else {
            let extra = all.distinguishing(key: ["mode"], ignoring: ignoring), categories = ["mode"] + extra
            let runs = all.unique(by: categories).sorted(by: categories)
            var bars: [BarChart.Bar] = []
            for (i, row) in runs.rows.enumerated() {
                let category = categoryLevels(row, categories)
                bars.append(.init(category: category.full, shortCategory: category.short, series: "", value: try number(row, "pt_bytes", i)))
            }
            let chart = BarChart(heading: heading(runs, "Linear-map page tables per mapping mode", shown: Set(categories)),
                                 categoryLabel: categories.map(axisName).joined(separator: " · "), valueAxis: yAxis)
            return Chart(file: "pt-bytes.svg", svg: try chart.svg(bars))
        }
        let chart = LineChart(heading: ChartHeading(""), xAxis: Axis("memory", scale: .log, unit: .bytes),
                              yAxis: Axis("page-table memory", scale: .log, unit: .bytes))
        return Chart(file: "pt-bytes.svg", svg: try lines(all, chart, what: "Linear-map page tables vs memory",
                                                          x: "memory_bytes", y: "pt_bytes", series: "mode", ignoring: ignoring))
    }

    /// mpki.svg: dTLB walks per 1,000 accesses against the share of the map split to PTEs. The
    /// x axis is logarithmic with a slot for 0, so 0 → 1 % is as visible as 10 % → 100 %.
    func walksVsSplitFraction(_ all: Runs) throws(ChartError) -> Chart {
        let chart = LineChart(heading: ChartHeading(""),
                              xAxis: Axis("share of the linear map split to PTEs (requested)", scale: .log, unit: .fraction),
                              yAxis: Axis("dTLB walks per 1,000 accesses"))
        return Chart(file: "mpki.svg", svg: try lines(all, chart, what: "dTLB walks vs split fraction",
                                                      x: "split_fraction_requested", y: "walks_per_1k_accesses", series: "mode"))
    }

    /// A line per value of `series`, joined by whatever else tells the runs' points apart.
    private func lines(_ all: Runs, _ chart: LineChart, what: String, x: String, y: String, series: String,
                       ignoring: Set<String> = []) throws(ChartError) -> String {
        let extra = all.distinguishing(key: [series, x], ignoring: ignoring), labels = [series] + extra
        let runs = all.unique(by: [series, x] + extra).sorted(by: labels + [x])
        var points: [LineChart.Point] = []
        for (i, row) in runs.rows.enumerated() {
            let name = labels.map { describe($0, runs.value(row, $0)) }.filter { !$0.isEmpty }.joined(separator: " · ")
            points.append(.init(x: try number(row, x, i), y: try number(row, y, i), series: name))
        }
        var chart = chart
        chart.heading = heading(runs, what, shown: Set([x] + extra + (all.varies(series) ? [series] : [])))
        return try chart.svg(points)
    }

    private func heading(_ runs: Runs, _ what: String, shown: Set<String>) -> ChartHeading {
        ChartHeading(title ?? runs.title(what, shown: shown), subtitle: runs.subtitle(shown: shown))
    }

    /// A row's category, outermost first: words as they are ("leaf", "no-alloc-remap"; the axis
    /// title names them), on/off, sizes and counts described ("lazy on", "256 GiB"), and
    /// without their names where those do not fit ("on"). The `coupled` parameters' values
    /// follow the first level's in brackets: "v6.18 (pagewalk)".
    private func categoryLevels(_ row: [String: String], _ columns: [String], coupled: [String] = [])
        -> (full: [String], short: [String]) {
        func full(_ c: String) -> String { Self.bareWords.contains(c) ? row[c] ?? "" : describe(c, row[c] ?? "") }
        func short(_ c: String) -> String { valueText(c, row[c] ?? "") }
        let notes = coupled.map(full).filter { !$0.isEmpty }
        let first = (row[columns[0]] ?? "") + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")")
        return ([first] + columns.dropFirst().map(full), [first] + columns.dropFirst().map(short))
    }

    static let bareWords: Set = ["walker", "variant", "nesting", "mode", "create_path", "layout", "placement", "trace"]
}

/// A parameter column as an axis names it.
func axisName(_ column: String) -> String {
    ["walker": "split walker", "lazy": "lazy MMU", "variant": "kernel variant", "nesting": "nesting policy",
     "mode": "mapping mode", "create_path": "create path", "memory_bytes": "memory"][column]
        ?? column.replacingOccurrences(of: "_", with: "-")
}

/// A count of the `index`-th run a chart draws; errors name the scenario and the run.
func number(_ row: [String: String], _ column: String, _ index: Int) throws(ChartError) -> Double {
    let run = "\(row["scenario"] ?? "data") run \(index + 1)"
    guard let raw = row[column] else { throw ChartError("\(run): no column '\(column)'") }
    guard let value = Double(raw), value.isFinite else { throw ChartError("\(run): \(column) is '\(raw)', not a number") }
    return value
}
