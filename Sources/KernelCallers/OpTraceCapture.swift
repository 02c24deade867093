// What a capture on a real kernel writes, read into op-trace records: ftrace kprobe event
// lines (kernel/trace/trace_output.c's line, trace_kprobe.c's `(sym+off/size) arg=val`), the
// ftrace and bpftrace banners around them, and the vmalloc addresses that set_memory_* and
// vfree receive (arch/arm64/mm/pageattr.c change_memory_common takes only a vm area), turned
// into the `area:ID` form.
import PageTableModel
import LinearMap

extension OpTrace {
    /// bpftrace's first line on stdout, `Attaching 5 probes...` (`Attached 5 probes` in later
    /// releases): a banner, not a record.
    static func isBpftraceBanner(_ line: String) -> Bool {
        let words = line.split(separator: " ")
        return words.count == 3 && (words[0] == "Attaching" || words[0] == "Attached") && Int(words[1]) != nil
            && (words[2].hasPrefix("probe"))
    }

    /// The addresses a set_memory_* or vfree names that are vmalloc areas (module region and
    /// vmalloc region, [PAGE_END, VMALLOC_END)), as a capture sees them.
    static let capturedAreaWindow = LinearMapRange.end..<VmallocRange.end

    /// One ftrace kprobe event line, `TASK-PID [CPU] FLAGS TS: EVENT: (SYMBOL+0x0/0x38) addr=0x… n=0x…`,
    /// as a record; nil for a call the kernel does nothing for (numpages 0, vfree(NULL)).
    /// The op is the probed symbol's: set_memory_ro/rw/x/nx/rox with `addr` and `n` (pages),
    /// set_memory_valid with `enable`, split_kernel_leaf_mapping with `start` and `end`,
    /// vfree with `addr`. The hardirq/softirq flag (the third flag character) gives the context:
    /// `s`, `h`, `H`, `z` or `Z` (any interrupt) is softirq, `.` task.
    static func ftraceRecord(_ line: Substring, line number: Int,
                             _ fail: (Int, String) -> OpTraceError) throws(OpTraceError) -> Record? {
        let text = String(line)
        guard let open = text.range(of: ": (") else {
            if text.contains("LOST") && text.contains("EVENTS") {
                throw fail(1, "the ring buffer lost events here: the trace is incomplete (make buffer_size_kb larger)")
            }
            throw fail(1, "not an ftrace kprobe event line (TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: (SYMBOL+0x0/0x…) ARGS)")
        }
        let head = text[..<open.lowerBound].split(separator: " ", omittingEmptySubsequences: true)
        // head ends with [CPU] [FLAGS] TIMESTAMP: EVENT
        guard head.count >= 3, let cpuIndex = head.lastIndex(where: { $0.hasPrefix("[") && $0.hasSuffix("]") }),
              head[head.count - 2].hasSuffix(":") else {
            throw fail(1, "not an ftrace kprobe event line: expected '[CPU] FLAGS TIMESTAMP: EVENT:' before '('")
        }
        var context = ExecutionContext.task
        if cpuIndex + 4 == head.count {
            let flags = Array(head[cpuIndex + 1])
            if flags.count >= 3, "sShHzZ".contains(flags[2]) { context = .softirq }
        }
        let rest = text[open.upperBound...]
        guard let close = rest.firstIndex(of: ")") else { throw fail(open.upperBound.utf16Offset(in: text) + 1, "no ')' after the probed symbol") }
        let site = rest[..<close]
        let symbol = String(site.prefix { $0 != "+" })
        let symbolColumn = open.upperBound.utf16Offset(in: text) + 1
        var args: [String: (value: UInt64, column: Int)] = [:]
        var column = close.utf16Offset(in: text) + 2
        for word in text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: false) {
            defer { column += word.count + 1 }
            guard !word.isEmpty else { continue }
            let pair = word.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw fail(column, "argument '\(word)' is not NAME=VALUE") }
            let raw = pair[1]
            let value = raw.hasPrefix("0x") ? InputText.hex(raw) : UInt64(raw)
            guard let value else { throw fail(column, "argument '\(word)': the value is not a hexadecimal (0x…) or decimal number") }
            args[String(pair[0])] = (value, column)
        }
        func arg(_ name: String) throws(OpTraceError) -> (value: UInt64, column: Int) {
            guard let a = args[name] else { throw fail(symbolColumn, "\(symbol) needs the argument \(name)=: see the README's ftrace recipe") }
            return a
        }
        func pages(_ a: (value: UInt64, column: Int)) throws(OpTraceError) -> UInt64? {
            // numpages is an int: the probe's :x32 keeps its 32 bits; the kernel returns at once for 0.
            guard a.value > 0 else { return nil }
            guard a.value < 1 << 31 else { throw fail(a.column, "n=\(a.value) pages is not a positive int") }
            return a.value * 4096
        }
        let op: Op
        var start: (value: UInt64, column: Int)
        var size: UInt64 = 0
        switch symbol {
        case "set_memory_ro", "set_memory_rw", "set_memory_x", "set_memory_nx", "set_memory_rox":
            op = Op(rawValue: symbol)!
            start = try arg("addr")
            guard let s = try pages(try arg("n")) else { return nil }
            size = s
        case "set_memory_valid":
            start = try arg("addr")
            op = try arg("enable").value & 0xffff_ffff != 0 ? .setMemoryValid : .setMemoryInvalid
            guard let s = try pages(try arg("n")) else { return nil }
            size = s
        case "split_kernel_leaf_mapping":
            op = .split
            start = try arg("start")
            let end = try arg("end")
            guard end.value > start.value else { return nil }
            size = end.value - start.value
        case "vfree":
            op = .vfree
            start = try arg("addr")
            guard start.value != 0 else { return nil }
        default:
            throw fail(symbolColumn, "probed symbol '\(symbol)' is not one replay reads; probe set_memory_ro, set_memory_rw, set_memory_x, set_memory_nx, set_memory_valid, split_kernel_leaf_mapping or vfree")
        }
        guard start.value % 4096 == 0, size % 4096 == 0 else { throw fail(start.column, "\(symbol) at \(hex(start.value)) is not page-aligned") }
        guard start.value <= UInt64.max - size else { throw fail(start.column, "start + size overflows") }
        return Record(op: op, start: start.value, size: size, context: context, line: number, startColumn: start.column)
    }

    /// Rewrites the records whose start is a raw vmalloc address (a set_memory_* on a module or
    /// BPF area, a vfree) in the `area:ID` form. A set_memory_* range that meets no live area
    /// makes one (a `vmalloc` record inserted before it, backed by `scattered:ID`); one that
    /// meets a live area is an offset into it, which grows to cover the union of the ranges
    /// changed while it lives. A vfree of a live area's lowest address frees it; any other
    /// vfree (of an area no set_memory_* changed, of NULL, or in an interrupt) is dropped.
    /// IDs follow the highest explicit one.
    static func resolvingCapturedAreas(_ records: [Record], file: String) throws(OpTraceError) -> [Record] {
        let window = capturedAreaWindow
        let isCaptured = { (r: Record) in r.area == nil && (r.op.takesArea || r.op == .vfree) && window.contains(r.start) }
        guard records.contains(where: isCaptured) else { return records }
        var nextID = (records.compactMap(\.area).max() ?? 0) + 1
        struct Area { var id: Int; var low: UInt64; var high: UInt64 }
        var areas: [Area] = []
        var live: [Int] = []  // indices into areas
        // Each output record, with the area index and real start of a captured one.
        var out: [(record: Record, area: Int?, real: UInt64)] = []
        for r in records {
            guard isCaptured(r) else { out.append((r, nil, 0)); continue }
            if r.op == .vfree {
                // vfree in an interrupt defers to vfree_atomic's work, whose vfree follows in a task.
                guard r.context == .task, let i = live.firstIndex(where: { areas[$0].low == r.start }) else { continue }
                out.append((r, live.remove(at: i), r.start))
                continue
            }
            let (end, wrapped) = r.start.addingReportingOverflow(r.size)
            guard !wrapped, end <= window.upperBound else {
                throw OpTraceError(file: file, line: r.line, column: r.startColumn, message: "[\(hex(r.start)), +\(hex(r.size))) runs past VMALLOC_END \(hex(window.upperBound))")
            }
            let meeting = live.filter { areas[$0].low < end && r.start < areas[$0].high }
            guard meeting.count <= 1 else {
                throw OpTraceError(file: file, line: r.line, column: r.startColumn, message: "[\(hex(r.start)), \(hex(end))) meets \(meeting.count) live vmalloc areas; a set_memory_* call stays inside one")
            }
            let index: Int
            if let i = meeting.first {
                index = i
                areas[i].low = min(areas[i].low, r.start)
                areas[i].high = max(areas[i].high, end)
            } else {
                index = areas.count
                areas.append(Area(id: nextID, low: r.start, high: end))
                nextID += 1
                live.append(index)
                out.append((Record(op: .vmalloc, start: 0, size: 0, context: .task, line: r.line, startColumn: r.startColumn), index, r.start))
            }
            out.append((r, index, r.start))
        }
        return out.map { entry in
            guard let i = entry.area else { return entry.record }
            var r = entry.record
            let area = areas[i]
            r.area = area.id
            switch r.op {
            case .vmalloc:
                r.size = area.high - area.low
                r.backing = .scattered(seed: UInt64(area.id))
            case .vfree: r.start = 0
            default: r.start = entry.real - area.low
            }
            return r
        }
    }
}
