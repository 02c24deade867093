import Foundation
import PageTableModel
import LinearMap

/// A recorded sequence of linear-map changes, replayed against a map: a UTF-8 CSV file
/// with the header `op,start,size,context`, one operation a line ("\n" or "\r\n" line
/// ends, a byte-order mark, blank lines and `#` comments allowed). `start` is a
/// hexadecimal VA, `size` a byte count (`4096`, `2M`, `0x200000`), `context` task or
/// softirq; both bounds page-aligned. `parse` checks the syntax, `check(against:)` that
/// every range is RAM in the linear map.
public struct OpTrace: Sendable, Equatable {
    public var records: [Record]

    public init(records: [Record]) { self.records = records }

    public enum Op: String, Sendable, CaseIterable {
        /// A bare split of [start, start + size) by the chosen walker.
        case split
        case setMemoryRO = "set_memory_ro"
        case setMemoryRW = "set_memory_rw"
        /// set_memory_valid(…, enable = 1).
        case setMemoryValid = "set_memory_valid"
        /// set_memory_valid(…, enable = 0).
        case setMemoryInvalid = "set_memory_invalid"
        case setDirectMapInvalidNoflush = "set_direct_map_invalid_noflush"
        case setDirectMapDefaultNoflush = "set_direct_map_default_noflush"
    }

    public struct Record: Sendable, Equatable {
        public var op: Op
        public var start: UInt64
        public var size: UInt64
        public var context: ExecutionContext
        /// 1-based line in the trace file.
        public var line: Int
        /// 1-based column of the `start` field, when parsed from text.
        public var startColumn: Int?
        public init(op: Op, start: UInt64, size: UInt64, context: ExecutionContext, line: Int, startColumn: Int? = nil) {
            (self.op, self.start, self.size, self.context, self.line) = (op, start, size, context, line)
            self.startColumn = startColumn
        }
    }

    static let header = ["op", "start", "size", "context"]

    // MARK: Parsing

    public static func parse(path: String) throws(OpTraceError) -> OpTrace {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw OpTraceError(file: path, line: nil, column: nil, message: "cannot read the trace file as UTF-8 text")
        }
        return try parse(text: text, file: path)
    }

    /// `file` names the source in error messages.
    public static func parse(text: String, file: String = "<trace>") throws(OpTraceError) -> OpTrace {
        var records: [Record] = []
        var sawHeader = false
        for (n, line) in InputText.lines(of: text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = Self.fields(of: line)
            func fail(_ column: Int, _ message: String) -> OpTraceError {
                OpTraceError(file: file, line: n + 1, column: column, message: message)
            }
            if !sawHeader {
                guard fields.map(\.text) == header else {
                    throw fail(1, "expected the header '\(header.joined(separator: ","))'")
                }
                sawHeader = true
                continue
            }
            guard fields.count == header.count else {
                throw fail(fields.count > header.count ? fields[header.count].column : line.count + 1,
                           "expected \(header.count) fields (\(header.joined(separator: ","))), found \(fields.count)")
            }
            records.append(try record(fields, line: n + 1, fail))
        }
        guard sawHeader else { throw OpTraceError(file: file, line: 1, column: 1, message: "empty trace: no header") }
        return OpTrace(records: records)
    }

    private static func record(_ f: [(text: String, column: Int)], line: Int,
                               _ fail: (Int, String) -> OpTraceError) throws(OpTraceError) -> Record {
        guard let op = Op(rawValue: f[0].text) else {
            throw fail(f[0].column, "unknown op '\(f[0].text)'; expected one of \(Op.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let start = InputText.hex(f[1].text) else {
            throw fail(f[1].column, "start '\(f[1].text)' is not a hexadecimal address such as 0xffff000040000000")
        }
        guard start % 4096 == 0 else { throw fail(f[1].column, "start '\(f[1].text)' is not page-aligned") }
        guard let size = ByteSize.parse(f[2].text) else {
            throw fail(f[2].column, "size '\(f[2].text)' is not a byte count; use \(ByteSize.form)")
        }
        guard size > 0, size % 4096 == 0 else {
            throw fail(f[2].column, "size '\(f[2].text)' is not a non-zero multiple of 4096")
        }
        guard start <= UInt64.max - size else { throw fail(f[2].column, "start + size overflows") }
        guard let context = ExecutionContext(rawValue: f[3].text) else {
            throw fail(f[3].column, "context '\(f[3].text)' is neither task nor softirq")
        }
        return Record(op: op, start: start, size: size, context: context, line: line, startColumn: f[1].column)
    }

    /// Comma-separated fields, trimmed, each with the 1-based column it starts at.
    private static func fields(of line: Substring) -> [(text: String, column: Int)] {
        var result: [(String, Int)] = []
        var column = 1
        for piece in line.split(separator: ",", omittingEmptySubsequences: false) {
            let lead = piece.prefix { $0 == " " || $0 == "\t" }.count
            result.append((piece.trimmingCharacters(in: .whitespaces), column + lead))
            column += piece.count + 1
        }
        return result
    }

    // MARK: Checking

    /// Refuses, before a replay, a record whose [start, start + size) is not RAM in
    /// `layout`'s linear map: anything else is no linear-map change, and below the
    /// linear map it would alias one. The error names the record's `start` field.
    public func check(against layout: MachineLayout, file: String = "<trace>") throws(OpTraceError) {
        let ram = layout.linearRanges
        for r in records {
            if let problem = Self.placementProblem(r, ram) {
                throw OpTraceError(file: file, line: r.line, column: r.startColumn, message: problem)
            }
        }
    }

    private static func placementProblem(_ r: Record, _ ram: [Range<UInt64>]) -> String? {
        guard (LinearMapRange.start..<LinearMapRange.end).contains(r.start) else {
            return "start \(hex(r.start)) is outside the linear map \(LinearMapRange.description)"
        }
        let (end, wrapped) = r.start.addingReportingOverflow(r.size)
        guard !wrapped, end <= LinearMapRange.end else {
            return "start \(hex(r.start)) + size \(hex(r.size)) runs past the linear map's end \(hex(LinearMapRange.end))"
        }
        guard ram.contains(where: { $0.lowerBound <= r.start && end <= $0.upperBound }) else {
            let banks = ram.map { "[\(hex($0.lowerBound)), \(hex($0.upperBound)))" }.joined(separator: ", ")
            return "[\(hex(r.start)), \(hex(end))) is not all RAM; the memory banks map \(banks)"
        }
        return nil
    }

    private static func hex(_ x: UInt64) -> String { "0x" + String(x, radix: 16) }

    // MARK: Replay

    /// Runs every record in order (softirq records inside `pt.inSoftirq`); stops at the
    /// first kernel error, naming its line.
    public func replay(_ perms: Permissions, file: String = "<trace>") throws(OpTraceError) {
        for r in records {
            do {
                if r.context == .softirq {
                    try perms.pt.inSoftirq { try Self.apply(r, perms) }
                } else {
                    try Self.apply(r, perms)
                }
            } catch {
                throw OpTraceError(file: file, line: r.line, column: nil, message: "\(r.op.rawValue) failed: \(String(describing: error).uppercased())")
            }
        }
    }

    private static func apply(_ r: Record, _ perms: Permissions) throws(KernelError) {
        let pages = Int(r.size / 4096)
        switch r.op {
        // A record built in code may wrap: the walker refuses the wrapped end with EINVAL.
        case .split: try perms.walker.split(perms.pt, from: r.start, to: r.start &+ r.size)
        case .setMemoryRO: try perms.setMemoryRO(r.start, pages: pages)
        case .setMemoryRW: try perms.setMemoryRW(r.start, pages: pages)
        case .setMemoryValid: try perms.setMemoryValid(r.start, pages: pages, enable: true)
        case .setMemoryInvalid: try perms.setMemoryValid(r.start, pages: pages, enable: false)
        case .setDirectMapInvalidNoflush: try perms.setDirectMapInvalidNoflush(r.start, pages: pages)
        case .setDirectMapDefaultNoflush: try perms.setDirectMapDefaultNoflush(r.start, pages: pages)
        }
    }
}

/// A trace that cannot be read, parsed or replayed, as one line: `file:line:column: message`
/// (control characters of echoed input escaped).
public struct OpTraceError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public init(file: String, line: Int?, column: Int?, message: String) {
        (self.file, self.line, self.column, self.message) = (file, line, column, message)
    }
    public var description: String {
        InputText.escaped([file, line.map(String.init), column.map(String.init)].compactMap { $0 }.joined(separator: ":") + ": " + message)
    }
}
