import Foundation

/// A malformed CSV file, with the 1-based line at fault.
public struct CSVError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// A CSV file that cannot be read, or its parse error, with the file named.
public struct CSVFileError: Error, Equatable, CustomStringConvertible {
    public var description: String
}

/// One CSV record: its fields and the line it starts on (a quoted field may span lines).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// The benchmark's CSV output: a header row of column names, then one row per record.
/// RFC 4180: quoted fields may hold commas, line ends and doubled quotes; CRLF or LF
/// line ends; a UTF-8 byte-order mark is skipped. Unquoted fields are trimmed of spaces
/// and tabs (hand-written files align their columns), and blank lines are skipped.
public struct CSVTable: Sendable {
    public let columns: [String]
    public let rows: [[String: String]]

    public init(parsing text: String) throws(CSVError) {
        let records = try Self.records(parsing: text)
        guard let header = records.first, header.line == 1, !header.fields.isEmpty else {
            throw CSVError(line: 1, message: "no header row")
        }
        columns = header.fields
        guard Set(columns).count == columns.count, !columns.contains("") else {
            throw CSVError(line: 1, message: "column names must be unique and non-empty")
        }
        var rows: [[String: String]] = []
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw CSVError(line: record.line, message: "\(record.fields.count) fields, but the header names \(columns.count)")
            }
            rows.append(Dictionary(uniqueKeysWithValues: zip(columns, record.fields)))
        }
        self.rows = rows
    }

    /// Reads and parses the file at `path`; the error names the file.
    public init(contentsOfFile path: String) throws(CSVFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVFileError(description: "cannot read '\(path)' (no such readable file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CSVFileError(description: "'\(path)' is not UTF-8 text; use a CSV file written by bench")
        }
        do { try self.init(parsing: text) } catch { throw CSVFileError(description: "'\(path)' \(error)") }
    }

    /// Every non-blank record of `text`.
    public static func records(parsing text: String) throws(CSVError) -> [CSVRecord] {
        var scanner = CSVScanner(text)
        var records: [CSVRecord] = []
        while let record = try scanner.record() {
            if !record.fields.isEmpty { records.append(record) }
        }
        return records
    }

    /// The fields of one record (a line of CSV, its line end optional); [] for a blank line.
    public static func fields(ofRecord text: String) throws(CSVError) -> [String] {
        var scanner = CSVScanner(text)
        let fields = try scanner.record()?.fields ?? []
        guard scanner.atEnd else { throw CSVError(line: scanner.line, message: "more than one record") }
        return fields
    }

    /// `field` as RFC 4180 writes it: quoted, inner quotes doubled, when it holds a comma,
    /// quote or line end, or starts or ends with a blank (which the reader would trim).
    public static func quote(_ field: String) -> String {
        let special = field.utf8.contains { $0 == comma || $0 == quoteMark || $0 == cr || $0 == lf }
        let padded = field.utf8.first.map(isBlank) == true || field.utf8.last.map(isBlank) == true
        guard special || padded else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record of `fields`, each quoted as needed, without a line end.
    public static func record(_ fields: [String]) -> String { fields.map(quote).joined(separator: ",") }
}

private let comma = UInt8(ascii: ","), quoteMark = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
private func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

/// Reads records from UTF-8 bytes. Every special character is ASCII, so a byte scan
/// never splits a multi-byte character.
private struct CSVScanner {
    private let bytes: [UInt8]
    private var i = 0
    /// The 1-based line of the next byte.
    private(set) var line = 1

    init(_ text: String) {
        bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    }

    var atEnd: Bool { i == bytes.count }
    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }
    private var atLineEnd: Bool { current == cr || current == lf }

    /// The next record, with no fields for a blank line; nil at the end of the text.
    mutating func record() throws(CSVError) -> CSVRecord? {
        guard !atEnd else { return nil }
        let start = line
        var fields: [String] = []
        if !atLineEnd {
            fields.append(try field())
            while current == comma {
                i += 1
                fields.append(try field())
            }
        }
        skipLineEnd()
        return CSVRecord(line: start, fields: fields)
    }

    private mutating func field() throws(CSVError) -> String {
        skipBlanks()
        guard current == quoteMark else { return try unquoted() }
        let value = try quoted()
        skipBlanks()
        guard current == nil || current == comma || atLineEnd else {
            throw CSVError(line: line, message: "text after a closing double quote (a quote inside a quoted field is written \"\")")
        }
        return value
    }

    /// Up to the next comma or line end, trailing blanks dropped (leading ones are skipped).
    private mutating func unquoted() throws(CSVError) -> String {
        let start = i
        while let b = current, b != comma, b != cr, b != lf {
            guard b != quoteMark else {
                throw CSVError(line: line, message: "double quote inside an unquoted field (quote the whole field)")
            }
            i += 1
        }
        var end = i
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// From an opening quote to its closing one; line ends inside are kept.
    private mutating func quoted() throws(CSVError) -> String {
        let opened = line
        i += 1
        var value: [UInt8] = []
        while true {
            guard let b = current else {
                throw CSVError(line: opened, message: "quoted field opened on this line is never closed")
            }
            i += 1
            if b == quoteMark {
                guard current == quoteMark else { break }
                i += 1
            } else if b == lf || (b == cr && current != lf) {
                line += 1
            }
            value.append(b)
        }
        return String(decoding: value, as: UTF8.self)
    }

    private mutating func skipBlanks() {
        while let b = current, isBlank(b) { i += 1 }
    }

    /// CRLF, LF or a lone CR.
    private mutating func skipLineEnd() {
        guard atLineEnd else { return }
        if current == cr { i += 1 }
        if current == lf { i += 1 }
        line += 1
    }
}
