import LinearMap
import PageTableModel
import SplitWalkers

/// What one run simulates.
public enum Scenario: String, Sendable, CaseIterable {
    /// map_mem: build the linear map.
    case boot
    /// A storm of set_memory_ro / set_memory_rw requests (update_range_prot).
    case perm
    /// linear_map_split_to_ptes of a block-mapped linear map.
    case repaint
    /// Late-init kfence pool split vs the older per-guard-page protection.
    case kfence
    /// debug_pagealloc page churn, nested lazy sections and softirq context.
    case debugPagealloc = "debug-pagealloc"
    /// Replay of an op trace (`--ops FILE`).
    case replay
    /// An access trace through the simulated TLB over the booted map.
    case tlb
    /// Split a fraction of a block map to PTEs, then the access trace.
    case mosaic

    /// The walker a scenario uses when none is named.
    var defaultWalker: WalkerKind {
        switch self {
        case .repaint: .pagewalk
        default: .leaf
        }
    }
}

/// Every parameter of one run. Field names follow the CLI options.
public struct RunConfig: Sendable, Equatable {
    public var scenario: Scenario = .boot
    public var walker: WalkerKind?
    public var lazy = true
    public var nesting: NestingPolicy = .tolerant
    public var layout = "single"
    public var memory: UInt64 = 256 << 30
    public var mode: MappingMode = .block
    public var seed: UInt64 = 1
    public var requests = 10_000
    public var requestPages: RequestPagesSpec = .init(text: "1-16")!
    public var clustered = false
    public var createBarriers: CreateBarrierPolicy = .batched
    public var earlyKfence = false
    public var tlbiRange = false
    public var repeatTLBI = false
    /// repaint: v6.18 (W4) or yang-v5 (W2 per bank); kfence: ce2b3a50ad92 or before.
    public var variant: String?
    /// W1 as before commit ce2b3a50ad92.
    public var beforeCE2B3A50AD92 = false
    /// debug-pagealloc: share of events in softirq / nested in an outer lazy section.
    public var softirqShare = 0.5
    public var nestedShare = 0.25
    public var ops: String?
    public var failAfter: Int?
    public var verify = false
    public var repeats = 1
    /// tlb, mosaic: the simulated TLB, the access trace and its length.
    public var tlbPreset = "n1"
    public var trace = "memcached"
    public var accesses = 2_000_000
    public var zipfExponent = 0.99
    public var workingSet: UInt64 = 64 << 20
    public var splitFraction = 0.0


    public init() {}

    /// The walker this run actually uses (scenarios fix some).
    public var effectiveWalker: String {
        switch scenario {
        case .boot: return "create"
        case .tlb: return "none"
        case .repaint: return effectiveVariant == "yang-v5" ? WalkerKind.range.rawValue : WalkerKind.pagewalk.rawValue
        case .kfence: return effectiveVariant == "ce2b3a50ad92" ? WalkerKind.pagewalk.rawValue : WalkerKind.leaf.rawValue
        case .debugPagealloc: return WalkerKind.leaf.rawValue
        default: return (walker ?? scenario.defaultWalker).rawValue
        }
    }

    public var effectiveVariant: String {
        switch scenario {
        case .repaint: variant ?? "v6.18"
        case .kfence: variant ?? "ce2b3a50ad92"
        case .boot: createBarriers.rawValue
        default: beforeCE2B3A50AD92 ? "before-ce2b3a50ad92" : "v6.18"
        }
    }

    /// The mapping mode map_mem uses for this scenario.
    public var effectiveMode: MappingMode {
        switch scenario {
        case .repaint, .kfence: .block
        case .debugPagealloc: .pte
        default: mode
        }
    }

    /// Lazy MMU has no say at boot.
    public var effectiveLazy: Bool { scenario == .boot || scenario == .tlb ? false : lazy }

    public func machineLayout() throws(LayoutError) -> MachineLayout {
        if layout.hasSuffix(".json") { return try MachineLayout.load(path: layout) }
        return try MachineLayout.builtin(layout, memory: memory, earlyKfence: earlyKfence)
    }
}

/// `--request-pages`: `N` pages, `A-B` uniform, or `pow2:K` (2^0 … 2^K pages).
public struct RequestPagesSpec: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let low: Int, high: Int, powerOfTwo: Bool

    public init?(text: String) {
        self.text = text
        if text.hasPrefix("pow2:"), let k = Int(text.dropFirst(5)), (0...18).contains(k) {
            (low, high, powerOfTwo) = (1, 1 << k, true)
        } else if let n = Int(text), n >= 1 {
            (low, high, powerOfTwo) = (n, n, false)
        } else {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 1, parts[1] >= parts[0] else { return nil }
            (low, high, powerOfTwo) = (parts[0], parts[1], false)
        }
    }

    public var description: String { text }
}
