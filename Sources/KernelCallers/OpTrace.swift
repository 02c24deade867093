import Foundation
import PageTableModel
import LinearMap

/// A recorded sequence of kernel page-table changes, replayed against a map: a UTF-8 CSV
/// file with the header `op,start,size,context` or `op,start,size,context,backing`, one
/// operation a line ("\n" or "\r\n" line ends, a byte-order mark, blank lines and `#`
/// comments allowed). `start` is a hexadecimal VA or `area:ID` (`area:ID+OFFSET`) naming a
/// vmalloc area an earlier `vmalloc` line made; `size` a byte count (`4096`, `2M`,
/// `0x200000`); `context` task or softirq; both bounds page-aligned. `vmalloc,area:ID,SIZE,
/// task,BACKING` makes an area of SIZE (VM_ALLOC | VM_FLUSH_RESET_PERMS) whose pages are
/// `scattered:SEED`, `contiguous:0xVA` (one run from that linear VA) or a space-separated
/// list of linear-map page VAs; `vfree,area:ID,,task` frees it. A captured trace may name
/// areas by their vmalloc addresses instead (`resolvingCapturedAreas`), and may be an ftrace
/// trace file of kprobe events (`ftraceRecord`); bpftrace's and ftrace's banners are skipped.
/// `parse` checks the syntax, `check(against:)` that every linear range is RAM and every
/// area is live where used.
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
        case setMemoryX = "set_memory_x"
        case setMemoryNX = "set_memory_nx"
        case setMemoryROX = "set_memory_rox"
        /// Map a vmalloc area (`start` is `area:ID`, the backing column says its pages).
        case vmalloc
        /// vfree of an area (`start` is `area:ID`, `size` empty).
        case vfree

        /// The ops that take a vmalloc address (a linear one gets EINVAL at replay).
        public var takesArea: Bool { [.setMemoryRO, .setMemoryRW, .setMemoryX, .setMemoryNX, .setMemoryROX].contains(self) }
    }

    /// The pages backing a `vmalloc` record's area.
    public enum Backing: Sendable, Equatable {
        case scattered(seed: UInt64)
        /// One run from this linear-map VA.
        case contiguous(UInt64)
        /// These linear-map page VAs, in area order.
        case pages([UInt64])
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
        /// The vmalloc area `start` names (`start` is then the offset into it).
        public var area: Int?
        /// A `vmalloc` record's pages.
        public var backing: Backing?
        /// 1-based column of the `backing` field, when parsed from text.
        public var backingColumn: Int?
        public init(op: Op, start: UInt64, size: UInt64, context: ExecutionContext, line: Int, startColumn: Int? = nil,
                    area: Int? = nil, backing: Backing? = nil, backingColumn: Int? = nil) {
            (self.op, self.start, self.size, self.context, self.line) = (op, start, size, context, line)
            (self.startColumn, self.area, self.backing, self.backingColumn) = (startColumn, area, backing, backingColumn)
        }
    }

    static let header = ["op", "start", "size", "context"]
    static let vmallocHeader = header + ["backing"]

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
        var ftrace = false
        var columns = header
        for (n, line) in InputText.lines(of: text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // `#` also starts every line of an ftrace trace file's header.
            if trimmed.isEmpty || trimmed.hasPrefix("#") || isBpftraceBanner(trimmed) { continue }
            func fail(_ column: Int, _ message: String) -> OpTraceError {
                OpTraceError(file: file, line: n + 1, column: column, message: message)
            }
            if !sawHeader && !ftrace && line.contains(": (") { ftrace = true }
            if ftrace {
                if let r = try ftraceRecord(line, line: n + 1, fail) { records.append(r) }
                continue
            }
            let fields = Self.fields(of: line)
            if !sawHeader {
                guard fields.map(\.text) == header || fields.map(\.text) == vmallocHeader else {
                    throw fail(1, "expected the header '\(header.joined(separator: ","))' or '\(vmallocHeader.joined(separator: ","))'")
                }
                columns = fields.map(\.text)
                sawHeader = true
                continue
            }
            guard fields.count == columns.count else {
                throw fail(fields.count > columns.count ? fields[columns.count].column : line.count + 1,
                           "expected \(columns.count) fields (\(columns.joined(separator: ","))), found \(fields.count)")
            }
            records.append(try record(fields, line: n + 1, fail))
        }
        guard sawHeader || ftrace else { throw OpTraceError(file: file, line: 1, column: 1, message: "empty trace: no header") }
        return OpTrace(records: try resolvingCapturedAreas(records, file: file))
    }

    private static func record(_ f: [(text: String, column: Int)], line: Int,
                               _ fail: (Int, String) -> OpTraceError) throws(OpTraceError) -> Record {
        guard let op = Op(rawValue: f[0].text) else {
            throw fail(f[0].column, "unknown op '\(f[0].text)'; expected one of \(Op.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var start: UInt64 = 0
        var area: Int?
        if f[1].text.hasPrefix("area:") {
            let spec = f[1].text.dropFirst(5)
            let parts = spec.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
            guard let id = Int(parts[0]), id >= 0 else {
                throw fail(f[1].column, "start '\(f[1].text)' names no area; use area:ID or area:ID+OFFSET with ID a whole number")
            }
            area = id
            if parts.count == 2 {
                guard op.takesArea, let offset = ByteSize.parse(String(parts[1])) else {
                    throw fail(f[1].column, op.takesArea ? "offset '\(parts[1])' is not a byte count; use \(ByteSize.form)"
                                                         : "\(op.rawValue) takes the area itself: area:ID without an offset")
                }
                start = offset
            }
            guard op.takesArea || op == .vmalloc || op == .vfree else {
                throw fail(f[1].column, "\(op.rawValue) takes a linear-map address, not a vmalloc area")
            }
        } else {
            let va = InputText.hex(f[1].text)
            // A captured vfree names its area by address (resolvingCapturedAreas).
            guard op != .vmalloc && (op != .vfree || va.map(capturedAreaWindow.contains) == true) else {
                throw fail(f[1].column, op == .vfree ? "vfree takes an area: area:ID or a vmalloc address in [\(hex(capturedAreaWindow.lowerBound)), \(hex(capturedAreaWindow.upperBound)))"
                                                     : "vmalloc takes an area: area:ID")
            }
            guard let va else {
                throw fail(f[1].column, "start '\(f[1].text)' is not a hexadecimal address such as 0xffff000040000000 or area:ID")
            }
            start = va
        }
        guard start % 4096 == 0 else { throw fail(f[1].column, "start '\(f[1].text)' is not page-aligned") }
        var size: UInt64 = 0
        if op == .vfree {
            guard f[2].text.isEmpty else { throw fail(f[2].column, "vfree takes no size: leave the field empty") }
        } else {
            guard let parsed = ByteSize.parse(f[2].text) else {
                throw fail(f[2].column, "size '\(f[2].text)' is not a byte count; use \(ByteSize.form)")
            }
            guard parsed > 0, parsed % 4096 == 0 else {
                throw fail(f[2].column, "size '\(f[2].text)' is not a non-zero multiple of 4096")
            }
            guard start <= UInt64.max - parsed else { throw fail(f[2].column, "start + size overflows") }
            size = parsed
        }
        guard let context = ExecutionContext(rawValue: f[3].text) else {
            throw fail(f[3].column, "context '\(f[3].text)' is neither task nor softirq")
        }
        if (op == .vmalloc || op == .vfree) && context != .task {
            throw fail(f[3].column, "\(op.rawValue) runs in task context only (the kernel BUGs in an interrupt)")
        }
        var backing: Backing?
        let backingText = f.count > 4 ? f[4].text : ""
        let backingColumn = f.count > 4 ? f[4].column : nil
        if op == .vmalloc {
            guard f.count > 4 else {
                throw fail(f[0].column, "vmalloc needs the backing column: use the header '\(vmallocHeader.joined(separator: ","))'")
            }
            switch parseBacking(backingText, pages: Int(size / 4096)) {
            case .success(let b): backing = b
            case .failure(let problem): throw fail(f[4].column, problem.message)
            }
        } else if !backingText.isEmpty {
            throw fail(f[4].column, "only vmalloc takes a backing; leave the field empty")
        }
        return Record(op: op, start: start, size: size, context: context, line: line, startColumn: f[1].column,
                      area: area, backing: backing, backingColumn: backingColumn)
    }

    private struct BackingProblem: Error { let message: String }

    private static func parseBacking(_ text: String, pages: Int) -> Result<Backing, BackingProblem> {
        func fail(_ message: String) -> Result<Backing, BackingProblem> { .failure(BackingProblem(message: message)) }
        let form = "scattered:SEED, contiguous:0xVA or a space-separated list of page VAs"
        if text.hasPrefix("scattered:") {
            guard let seed = UInt64(text.dropFirst(10)) else { return fail("backing '\(text)': the seed is not a whole number 0…2^64-1") }
            return .success(.scattered(seed: seed))
        }
        if text.hasPrefix("contiguous:") {
            guard let va = InputText.hex(String(text.dropFirst(11))), va % 4096 == 0 else {
                return fail("backing '\(text)': the start is not a page-aligned hexadecimal address")
            }
            return .success(.contiguous(va))
        }
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !words.isEmpty else { return fail("backing is empty; use \(form)") }
        var vas: [UInt64] = []
        for w in words {
            guard let va = InputText.hex(String(w)), va % 4096 == 0 else {
                return fail("backing page '\(w)' is not a page-aligned hexadecimal address; use \(form)")
            }
            vas.append(va)
        }
        guard vas.count == pages else { return fail("backing lists \(vas.count) pages for an area of \(pages)") }
        return .success(.pages(vas))
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
        var live = Set<Int>()
        for r in records {
            func fail(_ column: Int?, _ message: String) -> OpTraceError {
                OpTraceError(file: file, line: r.line, column: column, message: message)
            }
            if let id = r.area {
                if r.op == .vmalloc {
                    guard live.insert(id).inserted else { throw fail(r.startColumn, "area \(id) is already live") }
                    if let problem = Self.backingProblem(r, ram) { throw fail(r.backingColumn, problem) }
                } else {
                    guard live.contains(id) else { throw fail(r.startColumn, "area \(id) is not live here: no vmalloc line made it, or it was freed") }
                    if r.op == .vfree { live.remove(id) }
                }
            } else if let problem = Self.placementProblem(r.start, r.size, ram) {
                throw fail(r.startColumn, problem)
            }
        }
    }

    private static func backingProblem(_ r: Record, _ ram: [Range<UInt64>]) -> String? {
        switch r.backing {
        case .contiguous(let va)?: return placementProblem(va, r.size, ram)
        case .pages(let vas)?: return vas.lazy.compactMap { placementProblem($0, 4096, ram) }.first
        default: return nil
        }
    }

    private static func placementProblem(_ start: UInt64, _ size: UInt64, _ ram: [Range<UInt64>]) -> String? {
        guard (LinearMapRange.start..<LinearMapRange.end).contains(start) else {
            return "start \(hex(start)) is outside the linear map \(LinearMapRange.description)"
        }
        let (end, wrapped) = start.addingReportingOverflow(size)
        guard !wrapped, end <= LinearMapRange.end else {
            return "start \(hex(start)) + size \(hex(size)) runs past the linear map's end \(hex(LinearMapRange.end))"
        }
        guard ram.contains(where: { $0.lowerBound <= start && end <= $0.upperBound }) else {
            let banks = ram.map { "[\(hex($0.lowerBound)), \(hex($0.upperBound)))" }.joined(separator: ", ")
            return "[\(hex(start)), \(hex(end))) is not all RAM; the memory banks map \(banks)"
        }
        return nil
    }

    static func hex(_ x: UInt64) -> String { "0x" + String(x, radix: 16) }

    // MARK: Replay

    /// Runs every record in order (softirq records inside `pt.inSoftirq`). With
    /// `stopOnError` (the default) it throws at the first kernel error, naming its line;
    /// without, every failing record is counted and the replay goes on, as the kernel's
    /// callers go on after an error return. `layout` draws `scattered:SEED` backings.
    /// Returns the number of failed records.
    @discardableResult
    public func replay(_ perms: Permissions, layout: MachineLayout? = nil, file: String = "<trace>",
                       stopOnError: Bool = true) throws(OpTraceError) -> Int {
        var areas: [Int: UInt64] = [:]
        var failed = 0
        for r in records {
            do {
                if r.context == .softirq {
                    try perms.pt.inSoftirq { try Self.apply(r, perms, layout, &areas) }
                } else {
                    try Self.apply(r, perms, layout, &areas)
                }
            } catch {
                failed += 1
                if stopOnError {
                    throw OpTraceError(file: file, line: r.line, column: nil, message: "\(r.op.rawValue) failed: \(String(describing: error).uppercased())")
                }
            }
        }
        return failed
    }

    private static func apply(_ r: Record, _ perms: Permissions, _ layout: MachineLayout?,
                              _ areas: inout [Int: UInt64]) throws(KernelError) {
        let pages = Int(r.size / 4096)
        var start = r.start
        if let id = r.area, r.op != .vmalloc {
            guard let addr = areas[id] else { throw .einval }
            start = addr &+ r.start
        }
        switch r.op {
        // A record built in code may wrap: the walker refuses the wrapped end with EINVAL.
        case .split: try perms.walker.split(perms.pt, from: start, to: start &+ r.size)
        case .setMemoryRO: try perms.setMemoryRO(start, pages: pages)
        case .setMemoryRW: try perms.setMemoryRW(start, pages: pages)
        case .setMemoryX: try perms.setMemoryX(start, pages: pages)
        case .setMemoryNX: try perms.setMemoryNX(start, pages: pages)
        case .setMemoryROX: try perms.setMemoryROX(start, pages: pages)
        case .setMemoryValid: try perms.setMemoryValid(start, pages: pages, enable: true)
        case .setMemoryInvalid: try perms.setMemoryValid(start, pages: pages, enable: false)
        case .setDirectMapInvalidNoflush: try perms.setDirectMapInvalidNoflush(start, pages: pages)
        case .setDirectMapDefaultNoflush: try perms.setDirectMapDefaultNoflush(start, pages: pages)
        case .vmalloc:
            let backing: [UInt64]
            switch r.backing {
            case .pages(let vas)?: backing = vas
            case .contiguous(let va)?: backing = (0..<UInt64(pages)).map { va + $0 << 12 }
            case .scattered(let seed)?:
                guard let layout, let drawn = try? AreaBackings.scattered(layout: layout, pages: pages, seed: seed) else { throw .einval }
                backing = drawn
            case nil: throw .einval
            }
            areas[r.area!] = try perms.vmalloc(backing: backing).addr
        case .vfree:
            try perms.vfree(start)
            areas[r.area!] = nil
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
