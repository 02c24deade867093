// Models mark_linear_data_alias_valid(false) (arch/arm64/mm/mmu.c, 53205d56212c; re-applied
// as fb0f3ef5601a): the overlay-unmap boot's set_memory_valid over [__init_end, __bss_stop).

import LinearMap
import PageTableModel
import SplitWalkers

extension LinearMapBuilder {
    /// Boot through `stage` in `context`'s kernel: pageattr's set_memory_valid (W1, then
    /// update_range_prot and the flush) is what the overlay-unmap variant invalidates the
    /// data/bss alias with.
    public func boot(into pt: PageTable, through stage: BootStage = .full, context: KernelContext) throws(KernelError) {
        let perms = Permissions(pt: pt, context: context)
        try boot(into: pt, through: stage) { addr, pages, enable throws(KernelError) in
            try perms.setMemoryValid(addr, pages: pages, enable: enable)
        }
    }
}
