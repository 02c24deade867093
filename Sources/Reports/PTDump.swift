import LinearMap
import PageTableModel

// The arm64 ptdump view (/sys/kernel/debug/kernel_page_tables) of a simulated linear map,
// so it can be diffed against a real machine's. Adjacent entries at the same level with
// the same attribute bits share one line. Like the kernel, an absent range prints as a
// line with a size and the level of the empty entry but no attributes, and an invalid
// non-zero entry prints its bits with "F" where the generic walker hands it over: every
// PTE, but a PMD/PUD block only when pXd_leaf() holds, i.e. when it keeps
// PTE_PRESENT_INVALID (15bfba1ad77f). Before that, an invalid block is skipped unnoted
// (walk_pmd_range: "!pmd_present → nothing to do") and arm64's note_page prints the
// previous run up to the next noted address, so the block looks like its neighbour. Each leaf prints its own bits: table
// descriptors (PXNTable, UXNTable, TABLE_AF) are neither printed nor folded into leaves.

/// ptdump of the linear map as the kernel prints it: the whole [PAGE_OFFSET, PAGE_END)
/// region, holes past the last bank included, whatever the layout. `presentInvalid`: the
/// kernel has 15bfba1ad77f.
public func ptdump(_ pt: PageTable, layout: MachineLayout, presentInvalid: Bool = false) -> String {
    ptdump(pt, range: LinearMapRange.start..<LinearMapRange.end, presentInvalid: presentInvalid)
}

/// ptdump of the VA range `range`, between the "Linear Mapping" markers.
public func ptdump(_ pt: PageTable, range: Range<UInt64>, presentInvalid: Bool = false) -> String {
    var dump = PTDumpState(geometry: pt.geometry, presentInvalid: presentInvalid)
    var cursor = range.lowerBound
    for leaf in pt.leaves(from: range.lowerBound, to: range.upperBound) {
        let start = max(leaf.va, range.lowerBound), end = min(leaf.end, range.upperBound)
        if start > cursor { dump.noteGap(pt, cursor, start) }
        dump.note(leaf.level, start, end, leaf.descriptor.raw & PTDumpState.columnMask)
        cursor = end
    }
    if cursor < range.upperBound { dump.noteGap(pt, cursor, range.upperBound) }
    return dump.finish()
}

/// The kernel's note_page state machine: one pending run, printed when the level or the
/// attribute bits change, or when the next entry does not abut it.
struct PTDumpState {
    /// (mask, value, text when bits & mask == value, text otherwise); nil prints nothing.
    typealias Column = (mask: UInt64, value: UInt64, set: String?, clear: String?)
    static let gp: UInt64 = 1 << 50  // BTI guarded page: never set in the linear map
    static let memoryTypes: [(MemoryType, String)] = [
        (.deviceNGnRnE, "DEVICE/nGnRnE"), (.deviceNGnRE, "DEVICE/nGnRE"), (.normalNC, "MEM/NORMAL-NC"),
        (.normal, "MEM/NORMAL"), (.normalTagged, "MEM/NORMAL-TAGGED"),
    ]
    static let columns: [Column] = [
        (Descriptor.valid, Descriptor.valid, " ", "F"),
        (Descriptor.user, Descriptor.user, "USR", "   "),
        (Descriptor.rdonly, Descriptor.rdonly, "ro", "RW"),
        (Descriptor.pxn, Descriptor.pxn, "NX", "x "),
        (Descriptor.shInner, Descriptor.shInner, "SHD", "   "),
        (Descriptor.af, Descriptor.af, "AF", "  "),
        (Descriptor.nG, Descriptor.nG, "NG", "  "),
        (Descriptor.cont, Descriptor.cont, "CON", "   "),
        (Descriptor.tableOrPage, Descriptor.tableOrPage, "   ", "BLK"),
        (Descriptor.uxn, Descriptor.uxn, "UXN", "   "),
        (gp, gp, "GP", "  "),
    ] + memoryTypes.map { type, name in (Descriptor.attrIndxMask, type.rawValue << Descriptor.attrIndxShift, name, nil) }
    static let columnMask = columns.reduce(0) { $0 | $1.mask }

    let geometry: Geometry
    let presentInvalid: Bool
    var text = "---[ Linear Mapping start ]---\n"
    var level: Level?
    var start: UInt64 = 0
    var end: UInt64 = 0
    var prot: UInt64 = 0

    init(geometry: Geometry, presentInvalid: Bool) { (self.geometry, self.presentInvalid) = (geometry, presentInvalid) }

    mutating func note(_ level: Level, _ from: UInt64, _ to: UInt64, _ prot: UInt64) {
        if level == self.level && prot == self.prot && from == end {
            end = to
            return
        }
        flush()
        (self.level, start, end, self.prot) = (level, from, to, prot)
    }

    /// [from, to) holds no valid leaf: note each empty or invalid entry at its own level.
    mutating func noteGap(_ pt: PageTable, _ from: UInt64, _ to: UInt64) {
        var va = from
        while va < to {
            let (level, entry) = stoppingEntry(pt, va)
            let size = geometry.size(level)
            let next = min(alignDown(va, size) &+ size, to)
            if level != .pte && !entry.isNone && !entry.isPresent(presentInvalid: presentInvalid) {
                // Not a leaf to the walker: nothing noted, the pending run reaches over it.
                if self.level != nil { end = next }
            } else {
                note(level, va, next, entry.raw & Self.columnMask)
            }
            va = next
        }
    }

    /// The entry a walk for `va` stops on, when `va` has no valid leaf.
    private func stoppingEntry(_ pt: PageTable, _ va: UInt64) -> (Level, Descriptor) {
        var table = pt.root
        var level = Level.pgd
        while true {
            let entry = table[geometry.index(va, level)]
            guard level != .pte, entry.isValid, entry.isTable else { return (level, entry) }
            table = TablePage(entry)
            level = level.next
        }
    }

    mutating func finish() -> String {
        flush()
        return text + "---[ Linear Mapping end ]---\n"
    }

    private mutating func flush() {
        guard let level else { return }
        text += "0x\(Self.hex16(start))-0x\(Self.hex16(end))   \(Self.size(end - start)) \(level.name.uppercased())"
        text += Self.attributeText(prot) + "\n"
    }

    /// The attribute columns after the level: nothing for an empty entry (prot 0).
    static func attributeText(_ prot: UInt64) -> String {
        guard prot != 0 else { return "" }
        var text = ""
        for c in columns {
            if let s = prot & c.mask == c.value ? c.set : c.clear { text += " " + s }
        }
        return text
    }

    /// ptdump's size column: KiB, scaled by 1024 while that divides evenly, right-aligned in 9.
    static func size(_ bytes: UInt64) -> String {
        let units = Array("KMGTPE")
        var n = bytes >> 10, unit = 0
        while n % 1024 == 0 && unit < units.count - 1 {
            n /= 1024
            unit += 1
        }
        return leftPad(String(n), 9, " ") + String(units[unit])
    }

    static func hex16(_ x: UInt64) -> String { leftPad(String(x, radix: 16), 16, "0") }

    static func leftPad(_ s: String, _ width: Int, _ pad: Character) -> String {
        String(repeating: pad, count: max(0, width - s.count)) + s
    }
}
