import Foundation
import LinearMap
import PageTableModel

// A linear map rebuilt from its ptdump: the "Linear Mapping" section of
// /sys/kernel/debug/kernel_page_tables as arch/arm64/mm/ptdump.c's note_page prints it
// (torvalds/linux 031e011d8b22; the real-kernel fixtures' format), the inverse of `ptdump`.
// Each line is a run of equal entries at one level; a line with attributes is a run of
// leaves (`F`: not valid, kept with its bits), one without is a run of empty entries whose
// level says which tables exist. The attribute columns are the printer's own
// (`PTDumpState.columns`), read back through the texts they print, so `ptdump` of the
// imported map gives the input back. What the columns do not show is filled in as the
// kernel's PAGE_KERNEL has it: PTE_WRITE (DBM) on every RW leaf, the output address
// VA + (memstart - PAGE_OFFSET), and PXNTable on the tables above a PXN leaf.

/// A dump that is not a consistent linear map: one line naming the file and line.
public struct PTDumpImportError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ file: String, _ line: Int?, _ message: String) {
        description = InputText.escaped("--initial-map: '\(file)': " + (line.map { "line \($0): " } ?? "") + message)
    }
}

/// The runs of a ptdump, checked to tile [PAGE_OFFSET, PAGE_END) with aligned entries.
public struct ImportedMap: Sendable {
    public struct Run: Sendable, Equatable {
        /// 1-based line of the file.
        public let line: Int
        public let level: Level
        public let start: UInt64, end: UInt64
        /// The descriptor bits the columns show; 0 for empty entries.
        public let bits: UInt64
    }

    public let file: String
    public let runs: [Run]

    static let startMarker = "---[ Linear Mapping start ]---"
    static let endMarker = "---[ Linear Mapping end ]---"
    static let levels: [String: Level] = ["PGD": .pgd, "PUD": .pud, "PMD": .pmd, "PTE": .pte]

    /// Every attribute text the printer can write, with the bits it writes it for: each
    /// single-bit column set or clear, with each memory type.
    static let attributeBits: [String: UInt64] = {
        let flags = PTDumpState.columns.filter { $0.clear != nil }
        let types = PTDumpState.columns.filter { $0.clear == nil }
        var table: [String: UInt64] = [:]
        for combination in 0..<(1 << flags.count) {
            var bits: UInt64 = 0
            for (k, c) in flags.enumerated() where combination & (1 << k) != 0 { bits |= c.value }
            for t in types where bits | t.value != 0 { table[PTDumpState.attributeText(bits | t.value)] = bits | t.value }
        }
        return table
    }()

    public static func load(path: String) throws(PTDumpImportError) -> ImportedMap {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PTDumpImportError(path, nil, "cannot read it as UTF-8 text")
        }
        return try ImportedMap(text: text, file: path)
    }

    /// Reads the section between the markers; lines outside it (other sections, a capture's
    /// "#" notes) are passed over.
    public init(text: String, file: String, geometry: Geometry = .fourK) throws(PTDumpImportError) {
        self.file = file
        let lines = InputText.lines(of: text)
        guard let first = lines.firstIndex(where: { $0 == Self.startMarker }) else {
            throw PTDumpImportError(file, nil, "no '\(Self.startMarker)' line: not a ptdump of the linear map")
        }
        guard let last = lines[(first + 1)...].firstIndex(where: { $0 == Self.endMarker }) else {
            throw PTDumpImportError(file, lines.count, "the Linear Mapping section has no '\(Self.endMarker)' line")
        }
        var runs: [Run] = []
        var cursor = LinearMapRange.start
        for i in (first + 1)..<last {
            let run = try Self.parse(lines[i], line: i + 1, file: file, geometry)
            guard run.start >= (runs.last?.start ?? 0) else {
                throw PTDumpImportError(file, run.line, "addresses go backwards: it starts below the previous line")
            }
            guard run.start >= cursor else {
                throw PTDumpImportError(file, run.line, "overlaps the previous line, which ends at 0x\(PTDumpState.hex16(cursor))")
            }
            guard run.start == cursor else {
                throw PTDumpImportError(file, run.line, runs.isEmpty
                    ? "starts at 0x\(PTDumpState.hex16(run.start)), not at PAGE_OFFSET 0x\(PTDumpState.hex16(cursor)): only 48-bit VA dumps are read"
                    : "leaves a gap after the previous line, which ends at 0x\(PTDumpState.hex16(cursor)) (ptdump prints empty ranges too)")
            }
            runs.append(run)
            cursor = run.end
        }
        guard cursor == LinearMapRange.end else {
            throw PTDumpImportError(file, last + 1, "the section ends at 0x\(PTDumpState.hex16(cursor)), not at PAGE_END 0x\(PTDumpState.hex16(LinearMapRange.end))")
        }
        self.runs = runs
    }

    /// "0x<start>-0x<end>   <size> <LEVEL>[ <attributes>]", each field as the printer writes it.
    static func parse(_ text: Substring, line: Int, file: String, _ g: Geometry) throws(PTDumpImportError) -> Run {
        let chars = Array(text)
        func fail(_ message: String) -> PTDumpImportError { PTDumpImportError(file, line, message) }
        guard chars.count >= 54, String(chars[0..<2]) == "0x", chars[18] == "-", String(chars[19..<21]) == "0x",
              String(chars[37..<40]) == "   ", chars[50] == " ",
              let start = InputText.hex(String(chars[2..<18])), let end = InputText.hex(String(chars[21..<37])) else {
            throw fail("not a ptdump line (0x<16 hex digits>-0x<16 hex digits>   <size> <level> <attributes>)")
        }
        guard end > start else { throw fail("empty or reversed range") }
        let size = String(chars[40..<50]), expected = PTDumpState.size(end - start)
        guard size == expected else { throw fail("size column '\(size)' does not match the range (\(expected.trimmingCharacters(in: .whitespaces)))") }
        let name = String(chars[51..<min(54, chars.count)])
        guard let level = levels[name] else { throw fail("unknown level '\(name)'; use PGD, PUD, PMD or PTE") }
        let attributes = String(chars[54...])
        guard let bits = attributes.isEmpty ? 0 : attributeBits[attributes] else {
            throw fail("unparsable attributes '\(attributes)'")
        }
        let entry = g.size(level)
        guard isAligned(start, entry), isAligned(end, entry) else {
            throw fail("a \(name) line covers whole \(ByteSize.format(entry)) entries: its start and end must be \(ByteSize.format(entry))-aligned")
        }
        guard bits != 0 else { return Run(line: line, level: level, start: start, end: end, bits: 0) }
        guard level != .pgd else { throw fail("a PGD entry cannot be a leaf (4K granule)") }
        if bits & Descriptor.valid != 0 {
            if level == .pte && bits & Descriptor.tableOrPage == 0 { throw fail("a valid PTE is a page: it cannot be BLK") }
            if level != .pte && bits & Descriptor.tableOrPage != 0 { throw fail("a valid \(name) leaf is a block (BLK): table entries are not printed") }
        } else if level != .pte && bits & Descriptor.presentInvalid == 0 {
            // The walker passes an invalid block by unless pXd_leaf() holds (15bfba1ad77f).
            throw fail("an invalid \(name) is printed only as a present-invalid block (NG, 15bfba1ad77f)")
        }
        if bits & Descriptor.cont != 0 {
            guard level != .pud else { throw fail("a PUD entry has no contiguous hint (CON)") }
            let group = g.contSize(level)
            guard isAligned(start, group), isAligned(end, group) else {
                throw fail("a CON \(name) line covers whole groups of \(g.contCount(level)): its start and end must be \(ByteSize.format(group))-aligned")
            }
        }
        return Run(line: line, level: level, start: start, end: end, bits: bits)
    }

    /// Every leaf maps RAM: lies inside one contiguous stretch of the layout's banks.
    public func check(against layout: MachineLayout) throws(PTDumpImportError) {
        let ram = layout.linearRanges
        for run in runs where run.bits != 0 && !ram.contains(where: { $0.lowerBound <= run.start && run.end <= $0.upperBound }) {
            let pa = run.start &+ layout.linearOffset
            throw PTDumpImportError(file, run.line, "leaves at PA 0x\(String(pa, radix: 16))-0x\(String(pa &+ (run.end - run.start), radix: 16)) lie outside the System RAM of the --iomem file")
        }
    }

    /// The runs' entries stored into `pt`, tables allocated as they are needed (counted by
    /// the table allocator like any others): the setup of a run, not a kernel operation.
    public func build(into pt: PageTable, layout: MachineLayout) throws(KernelError) {
        let g = pt.geometry
        for run in runs {
            let size = g.size(run.level)
            // Entries are stored a table at a time.
            let tableSpan = size &* UInt64(g.entriesPerTable)
            let pxnTable = run.bits == 0 || run.bits & Descriptor.pxn != 0
            var va = run.start
            while va < run.end {
                let next = run.level == .pgd ? run.end : min(run.end, alignDown(va, tableSpan) &+ tableSpan)
                var table = pt.root
                for level in Level.allCases where level < run.level {
                    guard let child = pt.tableBelow(level, table, g.index(va, level), kind: .kernel, pxnTable: pxnTable) else { throw .enomem }
                    table = child
                }
                if run.bits != 0 {
                    var bits = run.bits
                    if bits & Descriptor.rdonly == 0 { bits |= Descriptor.write }
                    let first = Descriptor(raw: bits).with(outputAddress: va &+ layout.linearOffset)
                    let (i, count) = (g.index(va, run.level), Int((next - va) / size))
                    if run.level == .pte {
                        pt.writePTEsNosync(table, from: i, count: count, first: first, step: size)
                    } else {
                        for k in 0..<count {
                            pt.set(run.level, table, i + k, first.with(outputAddress: first.outputAddress &+ UInt64(k) &* size))
                        }
                    }
                }
                va = next
            }
        }
    }
}
