import PageTableModel
import SplitWalkers

extension TLBFlush {
    /// The flush `context`'s machine runs.
    public init(_ context: KernelContext) {
        self.init(rangeSupport: context.tlbiRange, repeatTLBI: context.repeatTLBI)
    }
}
