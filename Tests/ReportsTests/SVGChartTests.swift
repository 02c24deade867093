import Foundation
import Reports
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of an SVG document with their class and text (their children's included), via Foundation's XML parser
/// (which also proves the output is well-formed XML).
final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, cls: String, text: String)] = []
    private var open: [Int] = []

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else { throw ChartError("not XML: \(String(describing: parser.parserError))") }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(elements.count)
        elements.append((name, attributes["class"] ?? "", ""))
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        for i in open { elements[i].text += string }
    }

    func count(_ cls: String) -> Int { elements.filter { $0.cls == cls }.count }
    func texts(_ cls: String) -> [String] { elements.filter { $0.cls == cls }.map(\.text) }
}

@Suite struct CSVTableTests {
    @Test func readsHeaderAndRows() throws {
        let t = try CSVTable(parsing: "walker, lazy,dsb_ishst\r\nleaf,on,3\r\nrange,off,1058\n\n")
        #expect(t.columns == ["walker", "lazy", "dsb_ishst"])
        #expect(t.rows == [["walker": "leaf", "lazy": "on", "dsb_ishst": "3"],
                           ["walker": "range", "lazy": "off", "dsb_ishst": "1058"]])
    }

    @Test func malformedRowNamesItsLine() {
        #expect(throws: CSVError(line: 3, message: "2 fields, but the header names 3")) {
            try CSVTable(parsing: "a,b,c\n1,2,3\n4,5\n6,7,8\n")
        }
        #expect(throws: CSVError(line: 1, message: "column names must be unique and non-empty")) {
            try CSVTable(parsing: "a,a\n1,2\n")
        }
        #expect("\(CSVError(line: 3, message: "m"))" == "line 3: m")
    }
}

@Suite struct SVGChartTests {
    // Barrier counts as the spec's §7 example suggests: a few with lazy mode, ~1000 without.
    static let barriersCSV = """
        scenario,walker,lazy,dsb_ishst,isb
        perm,leaf,on,3,1
        perm,leaf,off,1060,1058
        perm,pagewalk,on,2,1
        perm,pagewalk,off,520,514

        """

    @Test func barriersPerWalkerHasTwoBarsPerRowOnALogAxis() throws {
        let rows = try CSVTable(parsing: Self.barriersCSV).rows
        let svg = try SVGElements(NamedPlots.barriersPerWalker(rows))
        #expect(svg.count("bar") == 2 * rows.count)
        #expect(svg.texts("axis-label x") == ["walker"] && svg.texts("axis-label y") == ["barriers (count)"])
        #expect(svg.texts("legend-entry") == ["dsb ishst, lazy on", "isb, lazy on", "dsb ishst, lazy off", "isb, lazy off"])
        #expect(svg.texts("tick x") == ["leaf", "pagewalk"])
        // Values 1 … 1060: decades 10^0 … 10^4.
        #expect(svg.texts("tick y") == ["1", "10", "100", "1K", "10K"])
        #expect(svg.texts("bar").contains("leaf, dsb ishst, lazy off: 1060"))
    }

    @Test func tableBytesVsMemoryIsLogLogWithOnePointPerRow() throws {
        // PTE mode: 8 bytes per 4 KiB page = memory / 512; block mode: a few tables.
        var csv = "scenario,mode,memory_bytes,pt_bytes\n"
        for gib in [1, 4, 16, 64, 256] {
            csv += "boot,pte,\(gib << 30),\((gib << 30) / 512)\nboot,block,\(gib << 30),\(3 * 4096)\n"
        }
        let rows = try CSVTable(parsing: csv).rows
        let svg = try SVGElements(NamedPlots.tableBytesVsMemory(rows))
        #expect(svg.count("point") == rows.count && svg.count("line") == 2)
        #expect(svg.texts("legend-entry") == ["pte", "block"])
        #expect(svg.texts("axis-label x") == ["memory (bytes)"])
        #expect(svg.texts("axis-label y") == ["page-table memory (bytes)"])
        // x: 2^30 … 2^38 lies in [10^9, 10^12]; y: 12288 … 2^29 in [10^4, 10^9].
        #expect(svg.texts("tick x") == ["1G", "10G", "100G", "1T"])
        #expect(svg.texts("tick y") == ["10K", "100K", "1M", "10M", "100M", "1G"])
    }

    @Test func mpkiVsSplitFractionIsLinearWhenValuesDoNotSpanDecades() throws {
        let csv = """
            mode,split_fraction,walks_per_1k_accesses
            block,0,1.5
            block,0.5,2.25
            block,1,3
            pte,0,3
            pte,1,3

            """
        let rows = try CSVTable(parsing: csv).rows
        let svg = try SVGElements(NamedPlots.mpkiVsSplitFraction(rows))
        #expect(svg.count("point") == rows.count)
        #expect(svg.texts("legend-entry") == ["block", "pte"])
        #expect(svg.texts("axis-label y") == ["MPKI proxy (walks per 1000 accesses)"])
        // Range 1 wide over 5 steps → step 0.2; y 1.5 … 3 → step 0.5 (0.3 rounded up to 1-2-5).
        #expect(svg.texts("tick x") == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(svg.texts("tick y") == ["1.5", "2", "2.5", "3"])
    }

    @Test func autoScaleSwitchesToLogPastTwoDecades() throws {
        func yTicks(_ values: [Double]) throws -> [String] {
            let points = values.enumerated().map { LineChart.Point(x: Double($0.offset), y: $0.element, series: "s") }
            return try SVGElements(LineChart(title: "t", xAxis: Axis("x"), yAxis: Axis("y")).svg(points)).texts("tick y")
        }
        #expect(try yTicks([1, 100]) == ["0", "20", "40", "60", "80", "100"])
        #expect(try yTicks([1, 101]) == ["1", "10", "100", "1K"])
        #expect(try yTicks([0.5, 20_000]) == ["0.1", "1", "10", "100", "1K", "10K", "100K"])
        // Twelve decades: every other power of ten is labelled.
        #expect(try yTicks([1, 1e12]) == ["1", "100", "10K", "1M", "100M", "10G", "1T"])
    }

    @Test func textIsEscaped() throws {
        let chart = BarChart(title: "a < b & \"c\"", categoryLabel: "x 'y'", valueAxis: Axis("v > 0", scale: .linear))
        let svg = try SVGElements(chart.svg([BarChart.Bar(category: "<cat>", series: "s&t", value: 1)]))
        #expect(svg.texts("title") == ["a < b & \"c\""])
        #expect(svg.texts("axis-label x") == ["x 'y'"] && svg.texts("axis-label y") == ["v > 0"])
        #expect(svg.texts("legend-entry") == ["s&t"] && svg.texts("tick x") == ["<cat>"])
    }

    @Test func unusableDataIsAnError() throws {
        let rows = try CSVTable(parsing: "mode,memory_bytes,pt_bytes\npte,1G,4096\n").rows
        #expect(throws: ChartError("data row 1: memory_bytes is '1G', not a number")) {
            try NamedPlots.tableBytesVsMemory(rows)
        }
        #expect(throws: ChartError("data row 1: no column 'split_fraction'")) {
            try NamedPlots.mpkiVsSplitFraction(rows)
        }
        let log = LineChart(title: "t", xAxis: Axis("x", scale: .log), yAxis: Axis("y"))
        #expect(throws: ChartError("(0, 1) of s cannot be shown on a log axis")) {
            try log.svg([.init(x: 0, y: 1, series: "s"), .init(x: 10, y: 2, series: "s")])
        }
        let bars = BarChart(title: "t", categoryLabel: "c", valueAxis: Axis("v"))
        #expect(throws: ChartError("two bars for a, s: filter the rows first")) {
            try bars.svg([.init(category: "a", series: "s", value: 1), .init(category: "a", series: "s", value: 2)])
        }
    }
}
