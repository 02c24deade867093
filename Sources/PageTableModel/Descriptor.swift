/// A 64-bit translation-table descriptor (spec §2).
public struct Descriptor: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var raw: UInt64
    @inlinable public init(raw: UInt64) { self.raw = raw }

    public static let valid: UInt64 = 1 << 0
    /// Bit 1: table at levels 0–2, page at level 3; clear for a block.
    public static let tableOrPage: UInt64 = 1 << 1
    public static let attrIndxShift: UInt64 = 2
    public static let attrIndxMask: UInt64 = 0b111 << 2
    public static let user: UInt64 = 1 << 6
    public static let rdonly: UInt64 = 1 << 7
    public static let shInner: UInt64 = 0b11 << 8
    public static let af: UInt64 = 1 << 10
    /// nG, reused as PRESENT_INVALID when VALID is clear.
    public static let nG: UInt64 = 1 << 11
    /// PTE_PRESENT_INVALID: nG's bit while VALID is clear; pXd_present() holds for it.
    public static let presentInvalid: UInt64 = nG
    public static let write: UInt64 = 1 << 51
    public static let cont: UInt64 = 1 << 52
    public static let pxn: UInt64 = 1 << 53
    public static let uxn: UInt64 = 1 << 54
    public static let softwareMask: UInt64 = 0b1111 << 55
    public static let tableAF: UInt64 = 1 << 10
    public static let pxnTable: UInt64 = 1 << 59
    public static let uxnTable: UInt64 = 1 << 60
    /// PROT_NS_SHARED: the top IPA bit, which a realm sets on pages shared with the host
    /// (arm64_rsi_init: BIT(config.ipa_bits - 1)); bit 47 for a 48-bit IPA space, which is
    /// the VMM's choice.
    public static let nsShared: UInt64 = 1 << 47
    public static let outputAddressMask: UInt64 = 0x0000_ffff_ffff_f000
    public static let typeMask: UInt64 = 0b11

    public static let zero = Descriptor(raw: 0)

    @inlinable public var isValid: Bool { raw & Self.valid != 0 }
    @inlinable public var isNone: Bool { raw == 0 }
    /// pXd_present() when kernel entries made invalid keep PTE_PRESENT_INVALID
    /// (15bfba1ad77f); without it the walkers take only valid entries as present.
    @inlinable public func isPresent(presentInvalid: Bool) -> Bool {
        isValid || (presentInvalid && raw & Self.presentInvalid != 0)
    }
    /// Table descriptor (meaningful at levels 0–2 only).
    @inlinable public var isTable: Bool { raw & Self.typeMask == 0b11 }
    @inlinable public var isBlock: Bool { raw & Self.typeMask == 0b01 }
    @inlinable public var isCont: Bool { raw & Self.cont != 0 }
    @inlinable public var outputAddress: UInt64 { raw & Self.outputAddressMask }
    /// A "valid kernel" entry decides whether a PTE write needs a barrier.
    @inlinable public var isValidKernel: Bool { raw & (Self.valid | Self.user | Self.uxn) == Self.valid | Self.uxn }

    /// Everything but the output address and the type bits.
    @inlinable public var attributes: UInt64 { raw & ~(Self.outputAddressMask | Self.typeMask) }
    public var memoryType: UInt64 { (raw & Self.attrIndxMask) >> Self.attrIndxShift }

    @inlinable public func with(outputAddress pa: UInt64) -> Descriptor {
        Descriptor(raw: (raw & ~Self.outputAddressMask) | (pa & Self.outputAddressMask))
    }
    @inlinable public func setting(_ bits: UInt64) -> Descriptor { Descriptor(raw: raw | bits) }
    @inlinable public func clearing(_ bits: UInt64) -> Descriptor { Descriptor(raw: raw & ~bits) }

    /// The same leaf as a level-3 page / a level-1–2 block.
    @inlinable public var asPage: Descriptor { Descriptor(raw: raw | 0b11) }
    @inlinable public var asBlock: Descriptor { Descriptor(raw: (raw & ~Self.typeMask) | 0b01) }

    /// A table descriptor as the kernel writes one for the linear map: always UXNTable;
    /// PXNTable when asked (the create path under NO_EXEC_MAPPINGS, a split of a PXN block);
    /// TABLE_AF unless `tableAF` is false (v6.18 sets it; 6.12 leaves bit 10 of table
    /// descriptors clear, as the real-kernel fixtures show — it came with FEAT_HAFT support,
    /// v6.13 as far as we know, not checked against a tag).
    @inlinable public static func table(at address: UInt64, pxnTable: Bool, tableAF: Bool = true) -> Descriptor {
        Descriptor(raw: (address & outputAddressMask) | 0b11 | uxnTable
            | (tableAF ? Self.tableAF : 0) | (pxnTable ? Self.pxnTable : 0))
    }

    public var description: String { "0x" + String(raw, radix: 16) }
}

/// Memory types by AttrIndx, as the kernel's MAIR layout numbers them.
public enum MemoryType: UInt64, Sendable {
    case normal = 0, normalTagged = 1, normalNC = 2, deviceNGnRnE = 3, deviceNGnRE = 4
}

/// Page protections of the kernel's linear map.
public enum Prot {
    /// PAGE_KERNEL as a level-3 page; `asBlock` turns it into a block. Without nG: the
    /// kernel's PTE_MAYBE_NG adds it only when arm64_use_ng_mappings (see `kernel(tagged:nG:)`).
    public static let kernel = Descriptor(raw: 0b11 | Descriptor.af | Descriptor.shInner | Descriptor.pxn
        | Descriptor.uxn | Descriptor.write | (MemoryType.normal.rawValue << Descriptor.attrIndxShift))
    public static let kernelRO = kernel.clearing(Descriptor.write).setting(Descriptor.rdonly)
    /// pgprot_tagged(PAGE_KERNEL): AttrIndx NORMAL_TAGGED, whether or not the CPU has MTE
    /// (MAIR then makes it plain Normal memory). map_mem maps RAM and the early kfence pool so.
    public static let kernelTagged = tagged(kernel)

    /// pgprot_tagged: the same protection with AttrIndx NORMAL_TAGGED.
    @inlinable public static func tagged(_ prot: Descriptor) -> Descriptor {
        Descriptor(raw: (prot.raw & ~Descriptor.attrIndxMask) | (MemoryType.normalTagged.rawValue << Descriptor.attrIndxShift))
    }

    /// PAGE_KERNEL, tagged or not, with nG when the kernel uses non-global mappings
    /// (arm64_use_ng_mappings, i.e. KPTI).
    @inlinable public static func kernel(tagged: Bool, nG: Bool) -> Descriptor {
        (tagged ? kernelTagged : kernel).setting(nG ? Descriptor.nG : 0)
    }
}
