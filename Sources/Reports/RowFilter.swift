import LinearMap

/// A `--where COLUMN=VALUE` condition on CSV rows.
public struct RowFilter: Sendable, Equatable {
    public let column: String
    public let value: String

    /// A condition not of the form COLUMN=VALUE, or on a column the rows do not have.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public init(parsing text: String) throws(Problem) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw Problem(description: "'\(text)' is not COLUMN=VALUE, e.g. scenario=perm or memory_bytes=256G")
        }
        column = String(text[..<eq])
        value = String(text[text.index(after: eq)...])
    }

    /// True when the row's field equals the value; a *_bytes column also takes sizes such
    /// as 256G, and numbers match by value (0.1 matches 0.10).
    public func matches(_ row: [String: String]) -> Bool {
        guard let field = row[column] else { return false }
        if field == value { return true }
        if column.hasSuffix("_bytes"), let a = ByteSize.parse(field), let b = ByteSize.parse(value) { return a == b }
        if let a = Double(field), let b = Double(value) { return a == b }
        return false
    }

    /// The rows every filter matches. A column no row has is an error, not an empty result.
    public static func select(_ rows: [[String: String]], _ filters: [RowFilter]) throws(Problem) -> [[String: String]] {
        let columns = Set(rows.flatMap(\.keys))
        if let unknown = filters.first(where: { !columns.contains($0.column) }) {
            throw Problem(description: "no column '\(unknown.column)' in the CSV (see bench schema); expected COLUMN=VALUE")
        }
        return rows.filter { row in filters.allSatisfy { $0.matches(row) } }
    }
}
