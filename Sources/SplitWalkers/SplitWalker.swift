import PageTableModel
import LinearMap

/// The four ways the kernel series split the linear map (spec §6).
public enum WalkerKind: String, Sendable, CaseIterable {
    /// W1: split_kernel_leaf_mapping (v6.18).
    case leaf
    /// W2: Yang Shi's v5 split_kernel_pgtable_mapping range walker.
    case range
    /// W3: Yang Shi's v4, the create walker with a SPLIT flag.
    case createPath = "create-path"
    /// W4: range_split_to_ptes through the generic page walker.
    case pagewalk
}

/// How a caller invokes a walker: the kernel it runs in, and the call's own choices.
public struct WalkerOptions: Sendable, Equatable {
    public var context: KernelContext
    /// W2: NO_BLOCK / NO_CONT; W2 allocates GFP_ATOMIC when either is set.
    public var flags: MapFlags = []
    /// GFP for W3 and W4 (W1 always GFP_KERNEL; W2 decides from its flags).
    public var allocation: AllocationKind = .kernel
    /// How W4 stores the PTE tables it creates, which it never visits: `.streamed` when
    /// the caller will not read them next either (a repaint). Host speed only.
    public var tableFill: TableFill = .cached

    public init(context: KernelContext = KernelContext()) { self.context = context }
}

public protocol SplitWalker {
    var kind: WalkerKind { get }
    /// Split the mappings of [start, end) as this walker does; the translation of every
    /// page stays the same. Earlier splits stay in place on ENOMEM.
    func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError)
}

/// The walker of `kind`, configured by `options`.
public func makeWalker(_ kind: WalkerKind, options: WalkerOptions) -> any SplitWalker {
    switch kind {
    case .leaf: LeafWalker(options: options)
    case .range: RangeWalker(options: options)
    case .createPath: CreatePathWalker(options: options)
    case .pagewalk: PageWalkWalker(options: options)
    }
}
