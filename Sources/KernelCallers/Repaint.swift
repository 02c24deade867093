import PageTableModel
import LinearMap
import SplitWalkers

/// linear_map_split_to_ptes (v6.18): the boot CPU had BBML2_NOABORT and mapped the linear
/// map with blocks, but a secondary CPU lacks it, so under stop_machine CPU 0 repaints
/// everything but the kernel alias with PTEs (spec §6, Callers). The alias keeps its blocks
/// (it never changes at runtime) — but both variants keep only [lm_alias(_stext),
/// lm_alias(__init_begin)): map_mem mapped the alias from _text, so [_text, _stext) is
/// repainted, and with it the alias's first block (a real _stext is _text + 64 KiB).
public enum Repaint {
    public enum Variant: String, Sendable, CaseIterable {
        /// v6.18: W4 with GFP_ATOMIC over [PAGE_OFFSET, lm_alias(_stext)) and
        /// [lm_alias(__init_begin), end of DRAM) — holes between banks walked too — then one
        /// flush of the whole linear map.
        case pagewalk
        /// Yang Shi's v5: W2 with NO_BLOCK | NO_CONT over each memblock range, with
        /// [__pa(_stext), __pa(__init_begin)) marked NOMAP (so the bank holding the kernel
        /// comes in two pieces around it), each walk followed by its own flush.
        case yangV5 = "yang-v5"
    }

    /// linear_map_maybe_split_to_ptes: the repaint runs only when map_mem used blocks
    /// because the boot CPU had BBML2_NOABORT (`linear_map_requires_bbml2`) and the system,
    /// once every CPU is up, does not. Returns whether it ran.
    @discardableResult
    public static func linearMapMaybeSplitToPTEs(pt: PageTable, layout: MachineLayout, variant: Variant, mappedBlocks: Bool,
                                                 context: KernelContext) throws(KernelError) -> Bool {
        guard mappedBlocks && !context.systemBBML2 else { return false }
        try linearMapSplitToPTEs(pt: pt, layout: layout, variant: variant, context: context)
        return true
    }

    /// Repaints `pt`, built from `layout`, on `context`'s kernel and machine.
    public static func linearMapSplitToPTEs(pt: PageTable, layout: MachineLayout, variant: Variant,
                                            context: KernelContext = KernelContext()) throws(KernelError) {
        var options = WalkerOptions(context: context)
        let flush = TLBFlush(context)
        let alias = layout.textAliasVA
        switch variant {
        case .pagewalk:
            options.allocation = .atomic
            options.tableFill = .streamed
            let walker = makeWalker(.pagewalk, options: options)
            try walker.split(pt, from: LinearMapRange.start, to: alias.start)
            try walker.split(pt, from: alias.end, to: layout.linearEnd)
            flush.flushKernelRange(pt, from: LinearMapRange.start, to: layout.linearEnd)
        case .yangV5:
            options.flags = [.noBlock, .noCont]
            let walker = makeWalker(.range, options: options)
            for piece in pieces(layout) {
                try walker.split(pt, from: piece.lowerBound, to: piece.upperBound)
                flush.flushKernelRange(pt, from: piece.lowerBound, to: piece.upperBound)
            }
        }
    }

    /// Each bank's linear-map VAs, less the kept [lm_alias(_stext), lm_alias(__init_begin)).
    static func pieces(_ layout: MachineLayout) -> [Range<UInt64>] {
        let alias = layout.textAliasVA
        return layout.banks.flatMap { bank -> [Range<UInt64>] in
            let va = layout.va(ofPA: bank.start)..<layout.va(ofPA: bank.end)
            guard va.overlaps(alias.start..<alias.end) else { return [va] }
            return [va.lowerBound..<alias.start, alias.end..<va.upperBound].filter { !$0.isEmpty }
        }
    }
}
