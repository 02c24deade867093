import Foundation
import Reports
import Testing

@Suite struct BarChartTests {
    static let heading = ChartHeading("t")

    @Test func barsCarryTheirValuesWithGroupedDigits() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "mode", valueAxis: Axis("pages", scale: .linear))
        let svg = try SVGElements(chart.svg([.init(category: ["block"], series: "", value: 3),
                                             .init(category: ["pte"], series: "", value: 131_314)]))
        #expect(svg.texts("bar-value") == ["3", "131,314"])
        #expect(svg.texts("bar") == ["block: 3", "pte: 131,314"])
        // One series: no legend.
        #expect(svg.count("legend-entry") == 0)
    }

    @Test func linearCountAxisTicksAtWholeNumbersWithRoomForTheLabels() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "c", valueAxis: Axis("v"))
        let two = try SVGElements(chart.svg([.init(category: ["a"], series: "on", value: 2), .init(category: ["a"], series: "off", value: 2)]))
        #expect(two.texts("tick y") == ["0", "1", "2", "3"])
        // 168,104 / (1 − 18 px of 300 for the labels) = 178,834 → steps of 50K.
        let tlbis = try SVGElements(chart.svg([.init(category: ["leaf"], series: "on", value: 168_104),
                                               .init(category: ["leaf"], series: "off", value: 168_104)]))
        #expect(tlbis.texts("tick y") == ["0", "50K", "100K", "150K", "200K"])
        #expect(tlbis.texts("legend-entry") == ["on", "off"])
    }

    @Test func byteAxesTickAtPowersOfTwo() throws {
        let linear = BarChart(heading: Self.heading, categoryLabel: "memory", valueAxis: Axis("tables", scale: .linear, unit: .bytes))
        let svg = try SVGElements(linear.svg([.init(category: ["16 GiB"], series: "", value: 33_562_624),
                                              .init(category: ["256 GiB"], series: "", value: 537_862_144)]))
        #expect(svg.texts("tick y") == ["0 B", "128 MiB", "256 MiB", "384 MiB", "512 MiB", "640 MiB"])
        #expect(svg.texts("bar-value") == ["32.01 MiB", "512.9 MiB"])
        let log = BarChart(heading: Self.heading, categoryLabel: "mode", valueAxis: Axis("tables", scale: .log, unit: .bytes))
        let both = try SVGElements(log.svg([.init(category: ["block"], series: "", value: 12_288),
                                            .init(category: ["pte"], series: "", value: 537_862_144)]))
        // 2^13.6 … 2^29 plus the labels' room: every other power of two, from 4 KiB.
        #expect(both.texts("tick y") == ["4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB", "64 MiB", "256 MiB", "1 GiB"])
        #expect(both.texts("bar-value") == ["12 KiB", "512.9 MiB"])
    }

    @Test func nestedCategoriesShareTheirOuterLabel() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "walker · lazy", valueAxis: Axis("barriers", scale: .log))
        var bars: [BarChart.Bar] = []
        for walker in ["leaf", "range"] {
            for (lazy, n) in [("lazy on", 3.0), ("lazy off", 1060)] {
                bars += [.init(category: [walker, lazy], series: "dsb ishst", value: n), .init(category: [walker, lazy], series: "isb", value: n - 1)]
            }
        }
        let svg = try SVGElements(chart.svg(bars))
        #expect(svg.texts("tick x") == ["lazy on", "lazy off", "lazy on", "lazy off"])
        #expect(svg.texts("tick x outer") == ["leaf", "range"])
        #expect(svg.texts("legend-entry") == ["dsb ishst", "isb"])
        #expect(svg.texts("bar-value").prefix(4) == ["3", "2", "1,060", "1,059"])
        // Log axis from 10^0; decades only past two of them.
        #expect(svg.texts("tick y").prefix(4) == ["1", "10", "100", "1K"])
        // The gap between the runs: wider than the one between the groups inside a run.
        let x = svg.numbers("bar", "x")
        #expect(x[4] - x[2] > x[2] - x[0])
    }

    @Test func aZeroOnALogAxisIsAFlatBarLabelledZero() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "c", valueAxis: Axis("v"))
        let svg = try SVGElements(chart.svg([.init(category: ["a"], series: "dsb ish", value: 0),
                                             .init(category: ["a"], series: "isb", value: 4_194_833),
                                             .init(category: ["b"], series: "isb", value: 531)]))
        // Auto: zeros do not stop a log axis when the positive values span decades.
        #expect(svg.texts("tick y").first == "100")
        #expect(svg.numbers("bar", "height").first == 0)
        #expect(svg.texts("bar-value") == ["0", "4,194,833", "531"])
    }

    @Test func textIsEscaped() throws {
        let chart = BarChart(heading: ChartHeading("a < b & \"c\"", subtitle: "x > y"), categoryLabel: "x 'y'",
                             valueAxis: Axis("v > 0", scale: .linear))
        let svg = try SVGElements(chart.svg([.init(category: ["<cat>"], series: "s&t", value: 1), .init(category: ["<cat>"], series: "u", value: 1)]))
        #expect(svg.texts("title") == ["a < b & \"c\""] && svg.texts("subtitle") == ["x > y"])
        #expect(svg.texts("axis-label x") == ["x 'y'"] && svg.texts("axis-label y") == ["v > 0"])
        #expect(svg.texts("legend-entry") == ["s&t", "u"] && svg.texts("tick x") == ["<cat>"])
    }

    @Test func aLongCategoryIsBrokenAtItsHyphen() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "variant", valueAxis: Axis("v"))
        let bars = (0..<8).map { BarChart.Bar(category: ["before-ce2b3a50ad92 \($0)"], series: "", value: 1) }
        let svg = try SVGElements(chart.svg(bars))
        #expect(svg.texts("tick x").prefix(3) == ["before-", "ce2b3a50ad92", "0"])
    }

    @Test func aFourthSeriesRepeatsTheFirstFillUnderAHatch() throws {
        let chart = BarChart(heading: Self.heading, categoryLabel: "c", valueAxis: Axis("v"))
        let svg = try SVGElements(chart.svg((1...4).map { BarChart.Bar(category: ["a"], series: "s\($0)", value: Double($0)) }))
        let fills = svg.elements.filter { $0.cls == "bar" }.map { $0.attributes["fill"] }
        #expect(fills == ["#1F3B73", "#D55E00", "#F2B440", "url(#hatch0)"])
        #expect(svg.elements.contains { $0.name == "pattern" && $0.attributes["id"] == "hatch0" })
    }

    @Test func twoBarsForOneCategoryAndSeriesAreAnError() {
        let chart = BarChart(heading: Self.heading, categoryLabel: "c", valueAxis: Axis("v"))
        #expect(throws: ChartError("two bars for a, s")) {
            try chart.svg([.init(category: ["a"], series: "s", value: 1), .init(category: ["a"], series: "s", value: 2)])
        }
    }
}

@Suite struct LineChartTests {
    @Test func logAxesOfBytesTickAtBinaryUnits() throws {
        var points: [LineChart.Point] = []
        for gib in [16, 64, 256, 1024] {
            points += [.init(x: Double(gib << 30), y: Double((gib << 30) / 512), series: "pte"),
                       .init(x: Double(gib << 30), y: 12_288, series: "block")]
        }
        let chart = LineChart(heading: ChartHeading("t"), xAxis: Axis("memory", scale: .log, unit: .bytes),
                              yAxis: Axis("tables", scale: .log, unit: .bytes))
        let svg = try SVGElements(chart.svg(points))
        // 256 GiB is a tick of its own (not "275G" on a decimal axis).
        #expect(svg.texts("tick x") == ["16 GiB", "32 GiB", "64 GiB", "128 GiB", "256 GiB", "512 GiB", "1 TiB"])
        #expect(svg.texts("tick y") == ["4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB", "64 MiB", "256 MiB", "1 GiB", "4 GiB"])
        #expect(svg.count("point") == points.count && svg.count("line") == 2)
        #expect(svg.texts("legend-entry") == ["pte", "block"])
    }

    @Test func aLogAxisShowsZeroBeforeABreak() throws {
        let fractions = [0, 0.01, 0.1, 0.5, 1]
        let points = zip(fractions, [0.0655, 48.1, 541.2, 711.1, 792.7]).map { LineChart.Point(x: $0, y: $1, series: "block") }
        let chart = LineChart(heading: ChartHeading("t"), xAxis: Axis("split", scale: .log, unit: .fraction), yAxis: Axis("walks"))
        let svg = try SVGElements(chart.svg(points))
        #expect(svg.texts("tick x") == ["0 %", "1 %", "2 %", "5 %", "10 %", "20 %", "50 %", "100 %"])
        #expect(svg.count("axis-break") == 3)  // the gap in the axis and its two strokes
        // 0 sits 2.5 % along, 1 % at 12 %, and each decade takes 44 % of the axis.
        let axis = svg.elements.first { $0.cls == "axis" }!.attributes
        let left = Double(axis["x1"]!)!, width = Double(axis["x2"]!)! - left
        let x = svg.numbers("point", "cx").map { ($0 - left) / width }
        #expect(zip(x, [0.025, 0.12, 0.56, 0.12 + 0.88 * (1 - log10(2) / 2), 1]).allSatisfy { abs($0 - $1) < 0.001 })
        // The y values span four decades: log, from 0.01.
        #expect(svg.texts("tick y") == ["0.01", "0.1", "1", "10", "100", "1K"])
    }

    @Test func autoScaleSwitchesToLogPastTwoDecades() throws {
        func yTicks(_ values: [Double]) throws -> [String] {
            let points = values.enumerated().map { LineChart.Point(x: Double($0.offset), y: $0.element, series: "s") }
            return try SVGElements(LineChart(heading: ChartHeading("t"), xAxis: Axis("x"), yAxis: Axis("y")).svg(points)).texts("tick y")
        }
        #expect(try yTicks([1, 100]) == ["0", "20", "40", "60", "80", "100"])
        #expect(try yTicks([1, 101]) == ["1", "10", "100", "1K"])
        #expect(try yTicks([0.5, 20_000]) == ["0.1", "1", "10", "100", "1K", "10K", "100K"])
        // Twelve decades: every other power of ten is labelled.
        #expect(try yTicks([1, 1e12]) == ["1", "100", "10K", "1M", "100M", "10G", "1T"])

    }

    @Test func aLogAxisOverTwoDecadesTicksAtOneTwoFive() throws {
        let chart = LineChart(heading: ChartHeading("t"), xAxis: Axis("x"), yAxis: Axis("y", scale: .log))
        let svg = try SVGElements(chart.svg([.init(x: 0, y: 3, series: "s"), .init(x: 1, y: 90, series: "s")]))
        #expect(svg.texts("tick y") == ["1", "2", "5", "10", "20", "50", "100"])
    }

    @Test func aNegativeValueOnALogAxisIsAnError() {
        let chart = LineChart(heading: ChartHeading("t"), xAxis: Axis("x", scale: .log), yAxis: Axis("y"))
        #expect(throws: ChartError("-1 cannot be shown on a log axis")) {
            try chart.svg([.init(x: -1, y: 1, series: "s"), .init(x: 10, y: 2, series: "s")])
        }
    }
}
