import Foundation
import KernelCallers
import LinearMap
import PageTableModel
import Reports
import SplitWalkers
import Testing

/// The linear maps of three real boots of Debian's 6.12 arm64 kernel under QEMU
/// (Tests/Fixtures/real-kernel/, README there), rebuilt from each boot's own files and
/// compared line by line with the ptdump read back from the running guest.
///
/// What is modelled from the boot's files alone: the banks (iomem: touching System RAM
/// merged, as memblock has them before NUMA splits the resources), the kernel image alias
/// [__pa(_text), __pa(__init_begin)) and _stext (kallsyms, kvars' kimage_voffset), the early
/// kfence pool (__kfence_pool when kfence_early_init), the mapping mode (PTEs when
/// rodata_full or a late kfence pool: 6.12's can_set_direct_map(); N1 has no BBML2), nG from
/// arm64_use_ng_mappings, 6.12's table descriptors (no TABLE_AF), map_mem, then what ran
/// after it: the alias made read-only (mark_linear_text_alias_ro) and the kfence guard
/// pages made invalid.
///
/// Taken from ptdump.txt itself, because no other file records them:
/// - the state of each kfence *object* page (valid while never used or allocated, invalid
///   once freed): it varies from boot to boot (kfence.txt only counts the allocations), so
///   the test imports it — the guard pages are not imported but modelled, and the strict
///   comparison checks them;
/// - with rodata=full, which physical pages back the BPF prog pack (vmallocinfo hashes its
///   addresses): the test takes the read-only runs of tagged RAM, checks they add up to
///   the pack's pages in vmallocinfo (512 per node), backs VM_ALLOC areas with them and
///   runs set_memory_ro on the areas, whose rodata_full alias update makes them read-only.
@Suite struct RealKernelFixtureTests {
    static let boots = ["full", "numa2-8g-block", "on-kf100"]

    @Test(arguments: boots) func linearMapMatchesTheRealPTDump(_ name: String) throws {
        let boot = try RealBoot(name)
        let live = try boot.liveMap()
        let ours = ptdump(live.pt, layout: boot.layout).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let theirs = boot.ptdumpLines
        #expect(ours.count - 1 == theirs.count, "line count (\(name))")
        for (i, (a, b)) in zip(ours, theirs).enumerated() where a != b {
            Issue.record("\(name) ptdump line \(i + 1):\n  simulated: \(a)\n  real:      \(b)")
            break
        }
    }

    /// The trailer the fixture's reader appended: table pages per level, leaves per kind,
    /// and every table descriptor's attribute bits (6.12: UXNTable, PXNTable except under
    /// the kfence pool's own table, no TABLE_AF).
    @Test(arguments: boots) func tablesLeavesAndTableDescriptorsMatch(_ name: String) throws {
        let boot = try RealBoot(name)
        let live = try boot.liveMap()
        let census = TableCensus(live.pt)
        #expect(census.tablesLine == boot.trailer("# tables "), "\(name)")
        #expect(census.leavesLine == boot.trailer("# leaves "), "\(name)")
        #expect(census.tableDescriptorLines.sorted() == boot.trailerLines("# table_desc ").sorted(), "\(name)")
    }

    /// The model's own rules, on a real layout: only object pages are imported, and the
    /// BPF pages exist exactly where rodata=full says they should.
    @Test(arguments: boots) func importedStateIsOnlyWhatVariesPerBoot(_ name: String) throws {
        let boot = try RealBoot(name)
        let live = try boot.liveMap()
        if let pool = boot.layout.kfencePool {
            let poolVA = boot.layout.va(ofPA: pool.start)
            for page in live.invalidObjectPages {
                let k = (page - poolVA) / 4096
                #expect(k >= 2 && k % 2 == 0, "only object pages are imported")
            }
            // kfence.txt: allocated objects are valid; an imported invalid one was freed.
            let allocated = try #require(boot.kfenceStat("currently allocated"))
            #expect(255 - live.invalidObjectPages.count >= allocated)
        } else {
            #expect(live.invalidObjectPages.isEmpty)
        }
        let packPages = live.bpfPackPages.reduce(0) { (n: Int, run: StrideTo<UInt64>) in n + Array(run).count }
        #expect(packPages == (boot.rodataFull ? boot.bpfPackPagesPerVmallocinfo : 0), "\(name)")
    }
}

/// One boot's files.
struct RealBoot {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/real-kernel")

    let name: String
    let layout: MachineLayout
    let mode: MappingMode
    let rodataFull: Bool
    let ngMappings: Bool
    /// The ptdump's linear-map section, markers included; then the "#" trailer.
    let ptdumpLines: [String]
    let trailerText: [String]
    let kfenceText: String
    let vmallocinfo: String

    init(_ name: String) throws {
        self.name = name
        func read(_ file: String) throws -> String {
            try String(contentsOf: Self.root.appendingPathComponent(name).appendingPathComponent(file), encoding: .utf8)
        }
        func hex(_ s: Substring) -> UInt64? { UInt64(s.hasPrefix("0x") ? s.dropFirst(2) : s, radix: 16) }

        // Top-level System RAM, touching ranges merged.
        var banks: [PhysRange] = []
        for line in try read("iomem.txt").split(separator: "\n") where !line.hasPrefix(" ") && line.hasSuffix(": System RAM") {
            let bounds = line.split(separator: " ")[0].split(separator: "-")
            let start = hex(bounds[0])!, end = hex(bounds[1])! + 1
            if let last = banks.last, last.end == start {
                banks[banks.count - 1] = PhysRange(start: last.start, size: end - last.start)
            } else {
                banks.append(PhysRange(start: start, size: end - start))
            }
        }
        var symbols: [String: UInt64] = [:]
        for line in try read("kallsyms.txt").split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 3 { symbols[String(f[2])] = hex(f[0]) }
        }
        var vars: [String: UInt64] = [:]
        for line in try read("kvars.txt").split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 3 { vars[String(f[0])] = hex(f[2]) }
        }
        let voffset = vars["kimage_voffset"]!
        func pa(_ symbol: String) -> UInt64 { symbols[symbol]! - voffset }
        let image = PhysRange(start: pa("_text"), size: pa("__init_begin") - pa("_text"))
        let kfenceEarly = vars["kfence_early_init"]! != 0
        let memstart = alignDown(banks[0].start, 1 << 30)
        let pool = kfenceEarly
            ? PhysRange(start: vars["__kfence_pool"]! - LinearMapRange.start + memstart, size: MachineLayout.kfencePoolSize)
            : nil
        // kallsyms has __init_end but no __bss_stop: that one takes its default.
        layout = try MachineLayout(name: name, banks: banks, kernelImage: image, stext: pa("_stext"),
                                   initEnd: pa("__init_end"), kfencePool: pool)
        rodataFull = vars["rodata_full"]! != 0
        // 6.12 on a CPU without BBML2: PTEs whenever the direct map can change permissions.
        mode = rodataFull || !kfenceEarly ? .pte : .block
        ngMappings = vars["arm64_use_ng_mappings"]! != 0

        let dump = try read("ptdump.txt").split(separator: "\n").map(String.init)
        let end = dump.firstIndex(of: "---[ Linear Mapping end ]---")!
        ptdumpLines = Array(dump[...end])
        trailerText = Array(dump[(end + 1)...])
        kfenceText = try read("kfence.txt")
        vmallocinfo = try read("vmallocinfo.txt")
    }

    func trailer(_ prefix: String) -> String? { trailerText.first { $0.hasPrefix(prefix) } }
    func trailerLines(_ prefix: String) -> [String] { trailerText.filter { $0.hasPrefix(prefix) } }

    func kfenceStat(_ key: String) -> Int? {
        kfenceText.split(separator: "\n").first { $0.hasPrefix(key + ":") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
    }

    /// Pages of the BPF prog pack: the 2 MiB bpf_jit_alloc_exec areas' page counts.
    var bpfPackPagesPerVmallocinfo: Int {
        vmallocinfo.split(separator: "\n").filter { $0.contains("bpf_jit_alloc_exec") }.compactMap { line -> Int? in
            let f = line.split(separator: " ")
            guard f.count > 1, let size = Int(f[1]), size >= 2 << 20 else { return nil }
            return f.first { $0.hasPrefix("pages=") }.flatMap { Int($0.dropFirst(6)) }
        }.reduce(0, +)
    }

    /// ptdump lines parsed back: [start, end), valid, and the attribute text.
    var runs: [(start: UInt64, end: UInt64, valid: Bool, attributes: String)] {
        ptdumpLines.compactMap { line in
            guard line.hasPrefix("0x") else { return nil }
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = f[0].split(separator: "-")
            let start = UInt64(bounds[0].dropFirst(2), radix: 16)!, end = UInt64(bounds[1].dropFirst(2), radix: 16)!
            return (start, end, f.count < 4 || f[3] != "F", f.dropFirst(3).joined(separator: " "))
        }
    }

    struct LiveMap {
        let pt: PageTable
        /// Kfence object pages (linear VAs) the real map shows invalid: imported.
        let invalidObjectPages: [UInt64]
        /// Linear-alias ranges of the BPF prog pack made read-only: imported.
        let bpfPackPages: [StrideTo<UInt64>]
    }

    /// map_mem, then what the booted kernel did to the linear map before it was read.
    func liveMap() throws -> LiveMap {
        let pt = try PageTable()
        pt.tableAF = false  // 6.12
        var context = KernelContext()
        context.forcePTEMapping = mode == .pte
        context.ngMappings = ngMappings
        context.rodataFull = rodataFull
        context.kfencePool = layout.kfencePool.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
        // The full boot: map_mem (ramProt: RAM and the pool pgprot_tagged; aliasProt:
        // the alias PAGE_KERNEL; nG when ngMappings), then
        // mark_linear_text_alias_ro (the create path over [_text, __init_begin) with
        // PAGE_KERNEL_RO, nG when ngMappings, untagged; NO_CONT).
        let builder = LinearMapBuilder(layout: layout, mode: mode, flush: TLBFlush(context), ngMappings: ngMappings)
        try builder.boot(into: pt, through: .full)
        let perms = Permissions(pt: pt, context: context, vmalloc: VmallocSpace(linearOffset: layout.linearOffset))
        let alias = layout.kernelAliasVA

        // The early kfence pool: kfence_init_pool protects the first two pages and every
        // object's right guard page (pages 3, 5, …, 511); object pages (2, 4, …, 510) are
        // valid until freed — which ones were freed is taken from the real map.
        var invalidObjects: [UInt64] = []
        if let pool = layout.kfencePool {
            let start = layout.va(ofPA: pool.start)
            try perms.setMemoryValid(start, pages: 2, enable: false)
            for k in stride(from: 3, to: 512, by: 2) {
                try perms.setMemoryValid(start + UInt64(k) * 4096, pages: 1, enable: false)
            }
            for run in runs where !run.valid {
                for va in stride(from: max(run.start, start), to: min(run.end, start + pool.size), by: 4096) {
                    let k = (va - start) / 4096
                    if k >= 2 && k % 2 == 0 { invalidObjects.append(va) }
                }
            }
            for va in invalidObjects { try perms.setMemoryValid(va, pages: 1, enable: false) }
        }

        // rodata=full: the BPF prog pack is a VM_ALLOC area backed by the linear pages the
        // real map shows read-only outside the alias (imported); set_memory_ro on the area
        // changes each backing page's linear alias (change_memory_common under rodata_full).
        var pack: [StrideTo<UInt64>] = []
        if rodataFull {
            let aliasVA = alias.start..<alias.end
            for run in runs where run.valid && run.attributes.hasPrefix("ro ") && run.attributes.hasSuffix("MEM/NORMAL-TAGGED")
                && !aliasVA.overlaps(run.start..<run.end) {
                pack.append(stride(from: run.start, to: run.end, by: 4096))
            }
            // One 2 MiB area (BPF_PROG_PACK_SIZE, 512 pages) per pack, pages in address order.
            let backing = pack.flatMap { Array($0) }
            for first in stride(from: 0, to: backing.count, by: 512) {
                let area = try perms.vmalloc(backing: Array(backing[first..<min(first + 512, backing.count)]))
                try perms.setMemoryRO(area.addr, pages: area.pages)
            }
        }
        return LiveMap(pt: pt, invalidObjectPages: invalidObjects, bpfPackPages: pack)
    }
}

/// The fixture trailer's counts, taken from the simulated tables in the linear map's
/// PGD entries (0..255): table pages per level, leaves per kind, table descriptors by
/// their attribute bits.
struct TableCensus {
    var tables: [Level: Int] = [:]
    var leaves: [String: Int] = [:]
    var descriptors: [String: Int] = [:]
    var descriptorOrder: [String] = []

    init(_ pt: PageTable) {
        for i in 0..<256 { visit(.pgd, pt.root[i]) }
    }

    private mutating func visit(_ level: Level, _ entry: Descriptor) {
        if level == .pte {
            let kind = entry.isNone ? "pte_zero" : !entry.isValid ? "pte_invalid_nonzero" : entry.isCont ? "pte_cont" : "pte"
            leaves[kind, default: 0] += 1
            return
        }
        guard !entry.isNone else { return }
        if entry.isValid && entry.isTable {
            let child = level.next
            tables[child, default: 0] += 1
            let attrs = entry.raw & ~Descriptor.outputAddressMask
            var names: [String] = []
            if attrs & Descriptor.pxnTable != 0 { names.append("PXNTable") }
            if attrs & Descriptor.uxnTable != 0 { names.append("UXNTable") }
            if attrs & Descriptor.tableAF != 0 { names.append("AF") }
            let key = "# table_desc \(level.name)->\(child.name) attrs 0x\(String(attrs, radix: 16)) count %d \(names.joined(separator: " "))"
            if descriptors[key] == nil { descriptorOrder.append(key) }
            descriptors[key, default: 0] += 1
            let table = TablePage(entry)
            for k in 0..<512 { visit(child, table[k]) }
        } else if entry.isValid {
            leaves[(level == .pud ? "pud" : "pmd") + (entry.isCont ? "_cont" : ""), default: 0] += 1
        } else {
            leaves["bad", default: 0] += 1
        }
    }

    var tablesLine: String {
        let pud = tables[.pud] ?? 0, pmd = tables[.pmd] ?? 0, pte = tables[.pte] ?? 0
        return "# tables pud \(pud) pmd \(pmd) pte \(pte) total \(pud + pmd + pte) bytes \((pud + pmd + pte) * 4096)"
    }

    var leavesLine: String {
        let keys = ["pud", "pmd", "pmd_cont", "pte", "pte_cont", "pte_invalid_nonzero", "pte_zero", "bad"]
        return "# leaves " + keys.map { "\($0) \(leaves[$0] ?? 0)" }.joined(separator: " ")
    }

    var tableDescriptorLines: [String] {
        descriptorOrder.map { $0.replacingOccurrences(of: "%d", with: String(descriptors[$0]!)) }
    }
}
