import Foundation
import Reports
import Testing

@Suite struct CSVQuotingTests {
    static let awkward = ["plain", "a,b", "say \"hi\"", "two\nlines", "crlf\r\ninside", "", " padded ", "\"", "ünï,cødé"]

    @Test func quoteWrapsOnlyWhatNeedsIt() {
        #expect(CSVTable.quote("plain") == "plain")
        #expect(CSVTable.quote("") == "")
        #expect(CSVTable.quote("a,b") == "\"a,b\"")
        #expect(CSVTable.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVTable.quote("x\ry") == "\"x\ry\"")
        #expect(CSVTable.quote("x\ny") == "\"x\ny\"")
        // The reader trims unquoted fields, so edge blanks are kept by quoting.
        #expect(CSVTable.quote(" x") == "\" x\"")
    }

    @Test func awkwardFieldsRoundTrip() throws {
        let header = (0..<Self.awkward.count).map { "c\($0)" }
        let text = CSVTable.record(header) + "\r\n" + CSVTable.record(Self.awkward) + "\n" + CSVTable.record(Self.awkward.reversed())
        let table = try CSVTable(parsing: text)
        #expect(table.columns == header)
        #expect(table.rows.count == 2)
        #expect(header.map { table.rows[0][$0]! } == Self.awkward)
        #expect(header.map { table.rows[1][$0]! } == Self.awkward.reversed())
        #expect(try CSVTable.fields(ofRecord: CSVTable.record(Self.awkward)) == Self.awkward)
    }

    @Test func recordsStartOnTheLineTheyOpen() throws {
        let records = try CSVTable.records(parsing: "a,b\n\"1\n2\",x\n\n3,y\n")
        #expect(records == [CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["1\n2", "x"]),
                            CSVRecord(line: 5, fields: ["3", "y"])])
    }

    @Test func fileWithBOMAndCRLF() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("scenario,note\r\nboot,\"a\r\nb\"\r\nperm,\"x,y\"\r\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let table = try CSVTable(contentsOfFile: path)
        #expect(table.columns == ["scenario", "note"])
        #expect(table.rows == [["scenario": "boot", "note": "a\r\nb"], ["scenario": "perm", "note": "x,y"]])
    }

    @Test func malformedQuotingNamesTheLine() {
        #expect(throws: CSVError(line: 2, message: "quoted field opened on this line is never closed")) {
            try CSVTable(parsing: "a,b\n1,\"open\n2,3\n")
        }
        #expect(throws: CSVError(line: 3, message: "double quote inside an unquoted field (quote the whole field)")) {
            try CSVTable(parsing: "a,b\n1,2\n3,x\"y\n")
        }
        #expect(throws: CSVError(line: 2, message: "text after a closing double quote (a quote inside a quoted field is written \"\")")) {
            try CSVTable(parsing: "a,b\n\"x\"y,1\n")
        }
        #expect(throws: CSVError(line: 2, message: "more than one record")) { try CSVTable.fields(ofRecord: "a,b\nc,d") }
    }

    @Test func oneRecordSplitsLikeTheWriterJoins() throws {
        #expect(try CSVTable.fields(ofRecord: "1,,3\n") == ["1", "", "3"])
        #expect(try CSVTable.fields(ofRecord: "") == [])
        #expect(try CSVTable.fields(ofRecord: "\"\"") == [""])
    }
}
