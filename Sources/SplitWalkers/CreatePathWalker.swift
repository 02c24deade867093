import PageTableModel
import LinearMap

// W3: Yang Shi's v4 series: split_kernel_pgtable_mapping by re-running the create walker
// (__create_pgd_mapping) with a SPLIT flag, the approach reviewers rejected for the
// conditionals it added to the create path. Its result must equal W2's.

public struct CreatePathWalker: SplitWalker {
    public let options: WalkerOptions
    public var kind: WalkerKind { .createPath }

    public init(options: WalkerOptions) { self.options = options }

    public func split(_ pt: PageTable, from start: UInt64, to end: UInt64) throws(KernelError) {
        try pt.checkRange(from: start, to: end)
        guard start < end else { return }
        // The create walker checks block alignment on the PA too. An unmapped start has
        // no PA; the linear map keeps PA ≡ VA modulo every block size, so the VA stands in.
        let phys = pt.translate(start)?.pa ?? start
        pt.takeSplitLock()
        // prot is ignored in split mode: leaves keep their own attributes.
        try pt.inLazyMMU(options.context.lazyMMU) { () throws(KernelError) in
            try CreateMapping(pt, kind: options.allocation)
                .map(virt: start, phys: phys, size: end - start, prot: Prot.kernel, flags: options.flags.union(.split))
        }
    }
}
