import Foundation
import Reports
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of an SVG document with their class, attributes and text (their children's included), via
/// Foundation's XML parser (which also proves the output is well-formed XML).
final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, cls: String, text: String, attributes: [String: String])] = []
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
        elements.append((name, attributes["class"] ?? "", "", attributes))
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        for i in open { elements[i].text += string }
    }

    func count(_ cls: String) -> Int { elements.filter { $0.cls == cls }.count }
    func texts(_ cls: String) -> [String] { elements.filter { $0.cls == cls }.map(\.text) }
    /// An attribute of every element of class `cls`, as a number.
    func numbers(_ cls: String, _ attribute: String) -> [Double] {
        elements.filter { $0.cls == cls }.compactMap { $0.attributes[attribute].flatMap(Double.init) }
    }
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
