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

/// The benchmark's CSV output: a header row of column names, then one row per record.
/// Plain comma-separated fields only; the benchmark never writes quotes or commas in values.
public struct CSVTable: Sendable {
    public let columns: [String]
    public let rows: [[String: String]]

    public init(parsing text: String) throws(CSVError) {
        // "\r\n" is one Character, so isNewline also takes Windows line ends.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let header = lines.first, !header.isEmpty else { throw CSVError(line: 1, message: "no header row") }
        columns = try Self.fields(header, line: 1)
        guard Set(columns).count == columns.count, !columns.contains("") else {
            throw CSVError(line: 1, message: "column names must be unique and non-empty")
        }
        var rows: [[String: String]] = []
        for (n, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let values = try Self.fields(line, line: n + 1)
            guard values.count == columns.count else {
                throw CSVError(line: n + 1, message: "\(values.count) fields, but the header names \(columns.count)")
            }
            rows.append(Dictionary(uniqueKeysWithValues: zip(columns, values)))
        }
        self.rows = rows
    }

    public init(contentsOfFile path: String) throws {
        try self.init(parsing: String(contentsOfFile: path, encoding: .utf8))
    }

    private static func fields(_ line: Substring, line n: Int) throws(CSVError) -> [String] {
        guard !line.contains("\"") else { throw CSVError(line: n, message: "quoted fields are not supported") }
        return line.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
