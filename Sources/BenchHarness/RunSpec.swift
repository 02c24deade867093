import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import TLBModel

/// One run, typed: the machine, the kernel it runs, and the scenario with exactly the
/// parameters it uses. Built only by `RunSpec.parse`, from option texts, so the CSV row
/// (written from `values`) and what runs (the typed fields) come from one parse.
public struct RunSpec: Sendable {
    /// The canonical option texts this run uses, defaults included.
    public let values: ParameterValues
    public let layout: LayoutChoice
    /// Every kernel and machine switch the walkers and callers consult (`kfencePool` is
    /// filled in from the layout when the run starts).
    public let context: KernelContext
    public let scenario: ScenarioSpec
    /// ENOMEM after this many more table allocations in the measured operation.
    public let failAfter: Int?
    public let repeats: Int
    /// `--verify`: check the final map (an output option: it changes no count).
    public var verify = false

    public var kind: Scenario { values.scenario }
}

/// Where the banks come from.
public enum LayoutChoice: Sendable, Equatable {
    case builtin(name: String, memory: UInt64?, earlyKfence: Bool)
    case file(String)
    /// `--initial-map` with the banks of its `--iomem` file.
    case imported(map: String, iomem: String)

    /// The --layout / --ops / --trace files a run reads.
    public var path: String? { if case .file(let p) = self { p } else { nil } }
}

/// The scenario's own parameters.
public enum ScenarioSpec: Sendable, Equatable {
    case boot(mode: MappingMode, path: CreatePath, stage: BootStage)
    case perm(PermSpec)
    case repaint(Repaint.Variant)
    case kfence(Kfence.Variant, seed: UInt64)
    case debugPagealloc(DebugPageallocSpec)
    case replay(ops: String, walker: WalkerKind, mode: MappingMode)
    case tlb(mode: MappingMode, access: AccessSpec)
    case mosaic(MosaicSpec)
    case realmBoot(RealmBootSpec)
    case hotplug(HotplugSpec)
    case churn(ChurnSpec)
}

public struct PermSpec: Sendable, Equatable {
    public var walker: WalkerKind, mode: MappingMode
    /// `requests` areas of `size` pages, backed as `placement` says, each made `change`.
    public var requests: Int, size: RequestPagesSpec, placement: BackingPlacement, change: PermChange, seed: UInt64
}

/// The mapping is the context's force_pte_mapping() (`--mode`).
public struct HotplugSpec: Sendable, Equatable {
    /// The hot bank's size, and how much of it (from its start) is removed.
    public var bytes: UInt64, removeBytes: UInt64
    /// `areas` vmalloc areas of `size` pages backed by the bank's pages, churned between.
    public var areas: Int, size: RequestPagesSpec, seed: UInt64
}

public struct DebugPageallocSpec: Sendable, Equatable {
    public var events: Int, softirqShare: Double, nestedShare: Double, seed: UInt64
}

public struct RealmBootSpec: Sendable, Equatable {
    public var mode: MappingMode, swiotlbBytes: UInt64, itsBytes: UInt64, seed: UInt64
}

public struct MosaicSpec: Sendable, Equatable {
    public var walker: WalkerKind, mode: MappingMode, fraction: Double, seed: UInt64, access: AccessSpec
}

/// The access-trace half of the tlb and mosaic scenarios.
public struct AccessSpec: Sendable, Equatable {
    public enum Trace: Sendable, Equatable {
        case uniform, sequential, memcached
        case zipf(exponent: Double)
        case hotset(bytes: UInt64)
        case file(String)
        /// `perf:FILE`: a perf text dump's linear-map data addresses.
        case perf(String)
    }
    public var preset: String, trace: Trace, accesses: Int
    /// nil for a trace file without a mix, which has no random choices.
    public var seed: UInt64?
    /// The accesses that go elsewhere than the linear map (none by default).
    public var mix = MixSpec()
}

extension RunSpec {
    /// Resolves `given` (option name, text) into a run: every value checked against its
    /// form, every option checked against the scenario, defaults filled in.
    public static func parse(_ given: [(String, String)]) throws(RunError) -> RunSpec {
        var texts: [String: String] = [:]
        for (name, text) in given {
            guard Parameter.named(name) != nil else { throw RunError("--\(name): unknown option") }
            guard texts[name] == nil else { throw RunError("--\(name): given twice") }
            texts[name] = text
        }
        return try resolve(strict: true) { texts[$0.name] }
    }

    /// The run a CSV row describes: its parameter columns, read where the row's scenario
    /// uses them (elsewhere they hold what the scenario fixed, such as repaint's walker).
    public static func parse(row: [String: String]) throws(RunError) -> RunSpec {
        try resolve(strict: false) { p in row[p.column].flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// Resolves each parameter in table order from `text`; `strict` refuses a value the
    /// run would not use instead of passing over it.
    private static func resolve(strict: Bool, _ text: (Parameter) -> String?) throws(RunError) -> RunSpec {
        func canonical(_ p: Parameter) throws(RunError) -> String? {
            guard let raw = text(p) else { return nil }
            guard let value = p.canonical(raw) else { throw RunError("--\(p.name): '\(printable(raw))' is not valid; use \(p.form)") }
            return value
        }
        let scenario = Scenario(rawValue: try canonical(Parameter.all[0]) ?? "boot")!
        var resolved = ParameterValues(scenario: scenario, texts: [:])
        for p in Parameter.all {
            let reason = p.scenarios.contains(scenario) ? p.excluded(resolved) : "the \(scenario.rawValue) scenario does not use it"
            if let reason {
                if strict, let raw = text(p) { throw RunError("--\(p.name): '\(printable(raw))' not used by this run: \(reason)") }
                continue
            }
            let preset = Preset.value(p.name, resolved).flatMap(p.canonical)
            if let value = try canonical(p) ?? preset ?? p.fallback(scenario).flatMap(p.canonical) { resolved = resolved.setting(p.name, value) }
        }
        return try RunSpec(resolved)
    }

    private init(_ v: ParameterValues) throws(RunError) {
        values = v
        if let variant = v["variant"], !Parameter.variants(of: v.scenario).contains(variant) {
            throw RunError("--variant: '\(printable(variant))' is not a \(v.scenario.rawValue) variant; use "
                + Parameter.variants(of: v.scenario).joined(separator: "|"))
        }
        let kernel = KernelVersion.named(v["kernel"]!)!
        if let why = kernel.refusal(v.scenario) { throw RunError("--kernel: \(why)") }
        if let map = v["initial-map"] {
            guard let iomem = v["iomem"] else { throw RunError("--iomem: --initial-map needs --iomem FILE, a copy of /proc/iomem with the banks") }
            layout = .imported(map: map, iomem: iomem)
        } else {
            let layoutName = v["layout"]!
            layout = MachineLayout.builtinNames.contains(layoutName)
                ? .builtin(name: layoutName, memory: v["memory"].map { UInt64($0)! }, earlyKfence: v["kfence"] == "early")
                : .file(layoutName)
        }
        failAfter = v["fail-after"].map { Int($0)! }
        repeats = Int(v["repeat"]!)!
        context = Self.context(v)
        scenario = try Self.scenario(v)
    }

    private static func context(_ v: ParameterValues) -> KernelContext {
        var c = KernelContext()
        c.bbml2 = Preset.bbml2(v) != .none
        c.systemBBML2 = Preset.bbml2(v) == .all
        c.lazyMMU = v["lazy"] == "on"
        c.nesting = v["nesting"].flatMap(NestingPolicy.init) ?? .tolerant
        c.tlbiRange = v["tlbi-range"] == "on"
        c.repeatTLBI = v["repeat-tlbi"].flatMap(RepeatTLBI.init) ?? .off
        c.kfenceInitCheck = v["kfence-init"].flatMap(KfenceInitCheck.init) ?? .v6_18
        c.leafSplit = v["variant"].flatMap(LeafSplitVersion.init) ?? .v6_18
        c.forcePTEMapping = effectiveMode(v) == .pte
        c.ngMappings = v["kpti"] == "on"
        c.rodataFull = v["rodata-full"] != "off"
        c.mapMem = MapMemVariant(rawValue: v["map-mem"]!)!
        c.presentInvalid = v["present-invalid"] == "on"
        if v.scenario == .hotplug { c.hotplug = HotplugRules(rawValue: v["variant"]!)! }
        if v.scenario == .hotplug || v.scenario == .churn {
            // The churn's W1 is the kernel's own (the variant names the hotplug rules or the churn's).
            c.leafSplit = KernelVersion.named(v["kernel"]!)!.options["variant"].flatMap(LeafSplitVersion.init) ?? .v6_18
        }
        return c
    }

    /// The mapping map_mem uses: the option (or the machine's) where the scenario takes it;
    /// else debug_pagealloc forces PTEs, and a boot CPU without BBML2 maps PTEs.
    static func effectiveMode(_ v: ParameterValues) -> MappingMode {
        if let mode = v["mode"] { return MappingMode(rawValue: mode)! }
        return v.scenario == .debugPagealloc || Preset.bbml2(v) == .none ? .pte : .block
    }

    private static func scenario(_ v: ParameterValues) throws(RunError) -> ScenarioSpec {
        let mode = effectiveMode(v)
        let seed = v["seed"].map { UInt64($0)! }
        let walker = v["walker"].flatMap(WalkerKind.init) ?? .leaf
        switch v.scenario {
        case .boot:
            // An --initial-map takes neither: the values are never used.
            return .boot(mode: mode, path: CreatePath(rawValue: v["create-path"] ?? CreatePath.current.rawValue)!,
                         stage: BootStage(rawValue: v["boot"] ?? BootStage.full.rawValue)!)
        case .perm:
            return .perm(PermSpec(walker: walker, mode: mode, requests: Int(v["requests"]!)!,
                                  size: RequestPagesSpec(text: v["request-pages"]!)!,
                                  placement: BackingPlacement(rawValue: v["placement"]!)!, change: PermChange(rawValue: v["change"]!)!,
                                  seed: seed!))
        case .repaint:
            return .repaint(v["variant"] == "yang-v5" ? .yangV5 : .pagewalk)
        case .kfence:
            return .kfence(Kfence.Variant(rawValue: v["variant"]!)!, seed: seed!)
        case .debugPagealloc:
            return .debugPagealloc(DebugPageallocSpec(events: Int(v["requests"]!)!, softirqShare: Double(v["softirq-share"]!)!,
                                                      nestedShare: Double(v["nested-share"]!)!, seed: seed!))
        case .replay:
            guard let ops = v["ops"] else { throw RunError("--ops: the replay scenario needs --ops FILE (CSV: op,start,size,context)") }
            return .replay(ops: ops, walker: walker, mode: mode)
        case .tlb:
            return .tlb(mode: mode, access: try access(v, seed: seed))
        case .mosaic:
            return .mosaic(MosaicSpec(walker: walker, mode: mode, fraction: Double(v["split-fraction"]!)!, seed: seed!,
                                      access: try access(v, seed: seed)))
        case .realmBoot:
            return .realmBoot(RealmBootSpec(mode: mode, swiotlbBytes: UInt64(v["swiotlb-bytes"]!)!,
                                            itsBytes: UInt64(v["its-bytes"]!)!, seed: seed!))
        case .hotplug:
            let bytes = UInt64(v["hotplug-bytes"]!)!
            let remove = v["hotplug-remove"] == "all" ? bytes : UInt64(v["hotplug-remove"]!)!
            guard remove <= bytes else {
                throw RunError("--hotplug-remove: \(ByteSize.format(remove)) is more than the \(ByteSize.format(bytes)) bank; use all or at most --hotplug-bytes")
            }
            return .hotplug(HotplugSpec(bytes: bytes, removeBytes: remove, areas: Int(v["requests"]!)!,
                                        size: RequestPagesSpec(text: v["request-pages"]!)!, seed: seed!))
        case .churn:
            return .churn(ChurnSpec(variant: ChurnVariant(rawValue: v["variant"]!)!, events: Int(v["events"]!)!,
                                    sampleEvery: Int(v["sample-every"]!)!, liveAreas: Int(v["live-areas"]!)!,
                                    size: RequestPagesSpec(text: v["request-pages"]!)!, packShare: Double(v["pack-share"]!)!,
                                    textShare: Double(v["text-share"]!)!, drain: v["drain"] == "on", seed: seed!,
                                    access: try access(v, seed: seed)))
        }
    }

    private static func access(_ v: ParameterValues, seed: UInt64?) throws(RunError) -> AccessSpec {
        let trace: AccessSpec.Trace = switch v["trace"]! {
        case "uniform": .uniform
        case "sequential": .sequential
        case "memcached": .memcached
        case "zipf": .zipf(exponent: Double(v["zipf"]!)!)
        case "hotset": .hotset(bytes: UInt64(v["working-set"]!)!)
        case let file where file.hasPrefix("perf:"): .perf(String(file.dropFirst(5)))
        case let file: .file(file)
        }
        var spec = AccessSpec(preset: v["tlb"]!, trace: trace, accesses: Int(v["accesses"]!)!, seed: seed)
        // Churn's samples take no mix: its shares are absent, all accesses the linear map's.
        let share = { (name: String) in v[name].flatMap(Double.init) ?? 0 }
        spec.mix.shares = MixShares(image: share("image-share"), vmalloc: share("vmalloc-share"), user: share("user-share"))
        guard spec.mix.shares.isValid else {
            let sum = spec.mix.shares.image + spec.mix.shares.vmalloc + spec.mix.shares.user
            throw RunError("--user-share: --image-share, --vmalloc-share and --user-share sum to \(sum); use shares that sum to at most 1 (the linear map gets the rest)")
        }
        if let stacks = v["stacks"] { spec.mix.stacks = Int(stacks)! }
        if let page = v["user-page"].flatMap(UserPageSize.init) { spec.mix.userPage = page }
        if let bytes = v["user-bytes"].map({ UInt64($0)! }) {
            guard bytes % spec.mix.userPage.bytes == 0 else {
                throw RunError("--user-bytes: \(ByteSize.format(bytes)) is not a multiple of the \(spec.mix.userPage.rawValue) --user-page; use a multiple of it, at most 64G")
            }
            spec.mix.userBytes = bytes
        }
        return spec
    }

    // MARK: What ran

    /// The walker that ran: the option where the scenario takes one, else the scenario's
    /// own (map_mem's create walker at boot; none for a TLB trace).
    public var walkerLabel: String {
        switch scenario {
        case .boot: return isImported ? "none" : "create"
        case .tlb: return "none"
        case .repaint(let variant): return !repaintRuns ? "none" : (variant == .yangV5 ? WalkerKind.range : .pagewalk).rawValue
        case .realmBoot: return context.linearMapRequiresBBML2 ? WalkerKind.leaf.rawValue : "none"
        default: break
        }
        // Without BBML2_NOABORT on every CPU, W1 returns at once and nothing splits.
        guard context.systemBBML2 else { return "none" }
        return switch scenario {
        case .kfence(let variant, _): (variant == .splitPool && mode == .block ? WalkerKind.pagewalk : .leaf).rawValue
        case .perm(let p): p.walker.rawValue
        case .replay(_, let walker, _): walker.rawValue
        case .mosaic(let m): m.walker.rawValue
        default: WalkerKind.leaf.rawValue
        }
    }

    public var mode: MappingMode { Self.effectiveMode(values) }

    /// The options given that differ from what --kernel and --cpu select.
    public var presetOverrides: [String] {
        Parameter.all.compactMap { p in
            guard let value = values[p.name], let preset = Preset.value(p.name, values).flatMap(p.canonical) else { return nil }
            return value == preset ? nil : p.name
        }
    }

    /// What the run is apart from its kernel: the option values that are neither --kernel,
    /// nor what the kernel selected (an override stays), nor a default (an option a version
    /// lacks, such as --walker before v6.18, is then no difference), so runs that differ
    /// only in the version match.
    public var acrossKernelsKey: String {
        let overrides = Set(presetOverrides)
        return Parameter.all.compactMap { p in
            guard p.name != "kernel", let value = values[p.name] else { return nil }
            let selected = KernelVersion.presetOptions.contains(p.name) || Preset.machineOptions.contains(p.name)
            let isDefault = p.fallback(kind).flatMap(p.canonical) == value
            return overrides.contains(p.name) || !(selected || isDefault) ? "\(p.name)=\(value)" : nil
        }.joined(separator: " ")
    }

    /// linear_map_maybe_split_to_ptes repaints: the boot CPU mapped blocks and a
    /// secondary lacks BBML2_NOABORT.
    public var repaintRuns: Bool { Preset.bbml2(values) == .bootOnly && mode == .block }

    /// The input files the run reads, by option.
    public var inputs: [(option: String, path: String)] {
        var files: [(String, String)] = []
        if let path = layout.path { files.append(("layout", path)) }
        if case .imported(let map, let iomem) = layout { files += [("initial-map", map), ("iomem", iomem)] }
        if let ops = values["ops"] { files.append(("ops", ops)) }
        if let model = values["cost-model"], CostModel.preset(model) == nil { files.append(("cost-model", model)) }
        switch access?.trace {
        case .file(let path)?, .perf(let path)?: files.append(("trace", path))
        default: break
        }
        return files
    }

    var access: AccessSpec? {
        switch scenario {
        case .tlb(_, let a): a
        case .mosaic(let m): m.access
        case .churn(let c): c.access
        default: nil
        }
    }

    /// The map the measured operation starts from needs every page PTE-mapped at worst.
    public var mayReachFullPTEMap: Bool {
        if isImported { return true }
        return switch scenario {
        case .boot(let mode, _, _): mode == .pte
        case .tlb(let mode, _): mode == .pte || repaintRuns
        default: true
        }
    }

    /// The run starts from an --initial-map.
    public var isImported: Bool { if case .imported = layout { true } else { false } }
}

extension ParameterValues {
    func setting(_ name: String, _ text: String) -> ParameterValues {
        var texts = self.texts
        texts[name] = text
        return ParameterValues(scenario: scenario, texts: texts)
    }
}

/// User text echoed in a one-line error: control characters shown escaped.
func printable(_ text: String) -> String {
    String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())
}

/// `--request-pages`: `N` pages, `A-B` uniform, or `pow2:K` (2^0 … 2^K pages).
public struct RequestPagesSpec: Sendable, Equatable, CustomStringConvertible {
    public let low: Int, high: Int, powerOfTwo: Bool

    public init?(text: String) {
        if text.hasPrefix("pow2:"), let k = Int(text.dropFirst(5)), (0...18).contains(k) {
            (low, high, powerOfTwo) = (1, 1 << k, true)
        } else if let n = Int(text), n >= 1 {
            (low, high, powerOfTwo) = (n, n, false)
        } else {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 1, b >= a else { return nil }
            (low, high, powerOfTwo) = (a, b, false)
        }
    }

    /// The canonical text, which parses back to the same sizes.
    public var text: String {
        powerOfTwo ? "pow2:\(high.trailingZeroBitCount)" : low == high ? "\(low)" : "\(low)-\(high)"
    }

    public var description: String { text }
}
