import LinearMap
import PageTableModel
import SplitWalkers

/// Parses option values into a `RunConfig`, one option at a time, so `run` and `sweep`
/// accept the same words and give the same one-line errors.
extension RunConfig {
    /// The options `apply(option:value:)` understands, with the accepted form of each.
    public static let optionForms: [(name: String, form: String)] = [
        ("scenario", Scenario.allCases.map(\.rawValue).joined(separator: "|")),
        ("walker", WalkerKind.allCases.map(\.rawValue).joined(separator: "|")),
        ("lazy", "on|off"),
        ("nesting", NestingPolicy.allCases.map(\.rawValue).joined(separator: "|")),
        ("layout", MachineLayout.builtinNames.joined(separator: "|") + "|FILE.json"),
        ("memory", "a size such as 64M, 256G or 4T"),
        ("mode", "block|pte"),
        ("seed", "a whole number"),
        ("requests", "a whole number ≥ 0"),
        ("request-pages", "N, A-B or pow2:K"),
        ("placement", "uniform|clustered"),
        ("create-barriers", "batched|per-entry"),
        ("kfence", "late|early"),
        ("tlbi-range", "on|off"),
        ("repeat-tlbi", "on|off"),
        ("variant", "repaint: v6.18|yang-v5; kfence: ce2b3a50ad92|before-ce2b3a50ad92; others: v6.18|before-ce2b3a50ad92"),
        ("softirq-share", "a fraction 0…1"),
        ("nested-share", "a fraction 0…1"),
        ("ops", "a CSV trace file"),
        ("fail-after", "a whole number ≥ 0"),
        ("repeat", "a whole number ≥ 1"),
        ("tlb", "n1|v2"),
        ("trace", "uniform|sequential|zipf|hotset|memcached|FILE (one hex VA per line)"),
        ("accesses", "a whole number ≥ 1"),
        ("zipf", "an exponent s > 0"),
        ("working-set", "a size such as 128K or 64M"),
        ("split-fraction", "a fraction 0…1"),
    ]

    static func form(_ option: String) -> String { optionForms.first { $0.name == option }?.form ?? "" }

    /// Sets `option` from its text form.
    public mutating func apply(option: String, value: String) throws(RunError) {
        func bad() -> RunError { RunError("--\(option): '\(value)' is not valid; use \(Self.form(option))") }
        func onOff() throws(RunError) -> Bool {
            switch value { case "on", "true", "1": return true; case "off", "false", "0": return false; default: throw bad() }
        }
        func whole(min: Int) throws(RunError) -> Int {
            guard let n = Int(value), n >= min else { throw bad() }
            return n
        }
        func word<T: RawRepresentable>() throws(RunError) -> T where T.RawValue == String {
            guard let v = T(rawValue: value) else { throw bad() }
            return v
        }
        func fraction() throws(RunError) -> Double {
            guard let x = Double(value), (0...1).contains(x) else { throw bad() }
            return x
        }
        switch option {
        case "scenario": scenario = try word() as Scenario
        case "walker": walker = try word() as WalkerKind
        case "lazy": lazy = try onOff()
        case "nesting": nesting = try word() as NestingPolicy
        case "layout":
            guard value.hasSuffix(".json") || MachineLayout.builtinNames.contains(value) else {
                throw RunError("--layout: unknown layout '\(value)'; use \(Self.form(option))")
            }
            layout = value
        case "memory":
            guard let bytes = ByteSize.parse(value), bytes > 0, bytes % 4096 == 0 else { throw bad() }
            memory = bytes
        case "mode": mode = try word() as MappingMode
        case "seed": seed = try UInt64(whole(min: 0))
        case "requests": requests = try whole(min: 0)
        case "request-pages":
            guard let spec = RequestPagesSpec(text: value) else { throw bad() }
            requestPages = spec
        case "placement":
            guard ["uniform", "clustered"].contains(value) else { throw bad() }
            clustered = value == "clustered"
        case "create-barriers":
            createBarriers = try word() as CreateBarrierPolicy
        case "kfence":
            guard ["late", "early"].contains(value) else { throw bad() }
            earlyKfence = value == "early"
        case "tlbi-range": tlbiRange = try onOff()
        case "repeat-tlbi": repeatTLBI = try onOff()
        case "variant":
            guard ["v6.18", "yang-v5", "ce2b3a50ad92", "before-ce2b3a50ad92"].contains(value) else { throw bad() }
            variant = value
            beforeCE2B3A50AD92 = value == "before-ce2b3a50ad92"
        case "softirq-share": softirqShare = try fraction()
        case "nested-share": nestedShare = try fraction()
        case "ops": ops = value
        case "fail-after": failAfter = try whole(min: 0)
        case "repeat": repeats = try whole(min: 1)
        case "tlb": tlbPreset = value
        case "trace": trace = value
        case "accesses": accesses = try whole(min: 1)
        case "zipf":
            guard let x = Double(value), x > 0 else { throw RunError("--zipf: '\(value)' is not valid; Zipf s must be > 0") }
            zipfExponent = x
        case "working-set":
            guard let bytes = ByteSize.parse(value), bytes > 0 else { throw bad() }
            workingSet = bytes
        case "split-fraction": splitFraction = try fraction()
        default: throw RunError("--\(option): unknown option")
        }
    }
}
