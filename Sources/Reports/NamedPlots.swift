/// The report's standard charts from the benchmark's CSV rows. Each takes the rows of
/// one scenario (the caller filters) and names a missing column or a non-number in its error.
public enum NamedPlots {
    /// `dsb_ishst` and `isb` per `walker`, lazy MMU on vs off (scenario "repaint" or "perm"):
    /// counts span from a handful to thousands, so the axis is always logarithmic.
    public static func barriersPerWalker(_ rows: [[String: String]]) throws(ChartError) -> String {
        var bars: [BarChart.Bar] = []
        for (i, row) in rows.enumerated() {
            let walker = try text(row, "walker", i), lazy = try text(row, "lazy", i)
            for (column, name) in [("dsb_ishst", "dsb ishst"), ("isb", "isb")] {
                bars.append(BarChart.Bar(category: walker, series: "\(name), lazy \(lazy)",
                                         value: try number(row, column, i)))
            }
        }
        return try BarChart(title: "Barriers per split walker", categoryLabel: "walker",
                            valueAxis: Axis("barriers (count)", scale: .log)).svg(bars)
    }

    /// Page-table memory of the linear map against RAM size, per mapping mode (scenario "boot").
    public static func tableBytesVsMemory(_ rows: [[String: String]]) throws(ChartError) -> String {
        try LineChart(title: "Linear-map page tables vs memory", xAxis: Axis("memory (bytes)"),
                      yAxis: Axis("page-table memory (bytes)"))
            .svg(rows: rows, x: "memory_bytes", y: "pt_bytes", series: "mode")
    }

    /// The TLB-miss proxy against the fraction of the map split to pages, per mapping mode.
    public static func mpkiVsSplitFraction(_ rows: [[String: String]]) throws(ChartError) -> String {
        try LineChart(title: "dTLB walks vs split fraction", xAxis: Axis("split fraction (of the linear map)"),
                      yAxis: Axis("MPKI proxy (walks per 1000 accesses)"))
            .svg(rows: rows, x: "split_fraction", y: "walks_per_1k_accesses", series: "mode")
    }
}
