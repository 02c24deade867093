/// One CPU core as the kernel sees it (spec §10): whether it may split live blocks on a
/// given kernel, FEAT_TLBIRANGE, the REPEAT_TLBI erratum, and a TLB geometry where public.
public struct CPUCore: Sendable {
    public let name: String
    /// MIDR implementer:part and revision, as the kernel's lists match them.
    public let midr: String
    /// The first allowlist that has this core at this revision (nil: never listed).
    public let listedFrom: BBMAllowlist?
    public let tlbiRange: Bool
    /// The first version whose ARM64_WORKAROUND_REPEAT_TLBI list has this core.
    public let repeatTLBISince: String?
    /// The simulated TLB preset (`--tlb`), and whether a public TRM gives its sizes.
    public let tlb: String, tlbPublic: Bool
    public let source: String

    /// BBML2_NOABORT on `kernel`.
    public func bbml2(on kernel: KernelVersion) -> Bool {
        guard kernel.linearMapSplit, let listedFrom else { return false }
        return listedFrom <= kernel.allowlist
    }

    public func repeatTLBI(on kernel: KernelVersion) -> Bool {
        repeatTLBISince.flatMap(KernelVersion.named).map { $0.index <= kernel.index } ?? false
    }
}

/// A machine: the boot CPU and, on a mixed system, the secondaries' core.
public struct CPUSystem: Sendable {
    public let name: String
    public let boot: CPUCore
    public let secondaries: CPUCore?

    public var cores: [CPUCore] { [boot] + (secondaries.map { [$0] } ?? []) }

    /// The boot CPU decides map_mem's block mapping.
    public func bootBBML2(on kernel: KernelVersion) -> Bool { boot.bbml2(on: kernel) }
    /// Every CPU has it, so the capability is final and no repaint runs.
    public func systemBBML2(on kernel: KernelVersion) -> Bool { cores.allSatisfy { $0.bbml2(on: kernel) } }
    /// A system capability: only when every CPU has it.
    public var tlbiRange: Bool { cores.allSatisfy(\.tlbiRange) }
    /// A local erratum: the workaround runs when any CPU needs it.
    public func repeatTLBI(on kernel: KernelVersion) -> Bool { cores.contains { $0.repeatTLBI(on: kernel) } }

    public static func named(_ name: String) -> CPUSystem? { all.first { $0.name == name } }
    public static var names: [String] { all.map(\.name) }
}

extension CPUCore {
    /// cfd391e74134 (v7.2; stable 7.1.1, 7.0.13, 6.18.36, …): ARM64_ERRATUM_4118414 and its
    /// siblings put these cores on the REPEAT_TLBI list.
    private static let erratum4118414 = "v7.2"
    /// "FEAT_TLBIRANGE: Armv8.4+ cores" (spec §10): the architecture makes it mandatory
    /// from v8.4; measured only on N1 (absent).
    private static let armv84 = "TLBIRANGE by architecture (Armv8.4+)"

    static let ampereOne = CPUCore(name: "AmpereOne", midr: "0xc0:0xac3", listedFrom: .v6_18, tlbiRange: true, repeatTLBISince: nil,
                                   tlb: "n1", tlbPublic: false,
                                   source: "allowlist 13efe932d2fc (v6.18, all revisions); not on cfd391e74134's list; \(armv84); TLB sizes not public")
    static let neoverseN1 = CPUCore(name: "Neoverse N1 / Ampere Altra", midr: "0x41:0xd0c", listedFrom: nil, tlbiRange: false,
                                    repeatTLBISince: erratum4118414, tlb: "n1", tlbPublic: true,
                                    source: "never allowlisted; BBM 0 and no TLBI range measured on Altra (r3p1); erratum 4193800 (v7.2); TLB: Cortex-A76 TRM")
    static let neoverseV2 = CPUCore(name: "Neoverse V2 / NVIDIA Grace", midr: "0x41:0xd4f", listedFrom: nil, tlbiRange: true,
                                    repeatTLBISince: erratum4118414, tlb: "v2", tlbPublic: false,
                                    source: "never allowlisted; erratum 4193787, CVE-2025-10263 (v7.2); \(armv84); L1 dTLB 48 from Hot Chips 2023, L2 not public")
    static let neoverseV3 = CPUCore(name: "Neoverse V3 r0p2+", midr: "0x41:0xd84 r0p2", listedFrom: .v6_18, tlbiRange: true,
                                    repeatTLBISince: erratum4118414, tlb: "v2", tlbPublic: false,
                                    source: "allowlist from r0p2 (v6.17; erratum 3053180 before); erratum 4193784 (v7.2); \(armv84); TLB sizes not public")
    static func cortexX4(r0p3: Bool) -> CPUCore {
        CPUCore(name: "Cortex-X4 " + (r0p3 ? "r0p3" : "r0p2"), midr: "0x41:0xd82 " + (r0p3 ? "r0p3" : "r0p2"),
                listedFrom: r0p3 ? .v6_18 : nil, tlbiRange: true, repeatTLBISince: erratum4118414, tlb: "n1", tlbPublic: false,
                source: "allowlist r0p3–r0p15 only (v6.17); erratum 4118414 (v7.2); \(armv84); L1 dTLB 96 (secondary), L2 not public")
    }
    static func c1Ultra(r1p1: Bool) -> CPUCore {
        CPUCore(name: "C1-Ultra " + (r1p1 ? "r1p1" : "r1p0"), midr: "0x41:0xd8c " + (r1p1 ? "r1p1" : "r1p0"),
                listedFrom: r1p1 ? .bbml3 : nil, tlbiRange: true, repeatTLBISince: erratum4118414, tlb: "n1", tlbPublic: false,
                source: "allowlist from r1p1 in a7ac60414475 (v7.3; r1p0 has erratum 3683289); erratum 4193780 (v7.2); \(armv84); TLB from a secondary quote of TRM 108014, not modelled")
    }
}

extension CPUSystem {
    public static let all: [CPUSystem] = [
        CPUSystem(name: "ampereone", boot: .ampereOne, secondaries: nil),
        CPUSystem(name: "n1", boot: .neoverseN1, secondaries: nil),
        CPUSystem(name: "grace", boot: .neoverseV2, secondaries: nil),
        CPUSystem(name: "v3", boot: .neoverseV3, secondaries: nil),
        CPUSystem(name: "x4-r0p2", boot: .cortexX4(r0p3: false), secondaries: nil),
        CPUSystem(name: "x4-r0p3", boot: .cortexX4(r0p3: true), secondaries: nil),
        CPUSystem(name: "c1-ultra-r1p0", boot: .c1Ultra(r1p1: false), secondaries: nil),
        CPUSystem(name: "c1-ultra-r1p1", boot: .c1Ultra(r1p1: true), secondaries: nil),
        CPUSystem(name: "ampereone+n1", boot: .ampereOne, secondaries: .neoverseN1),
    ]
}

/// `--bbml2`: which CPUs have BBML2_NOABORT (spec §10).
public enum BBML2Support: String, Sendable, CaseIterable {
    /// Every CPU: the capability is final, W1 splits live blocks.
    case all
    /// The boot CPU only: map_mem uses blocks, and linear_map_maybe_split_to_ptes repaints
    /// the map with PTEs when the secondaries come up.
    case bootOnly = "boot-only"
    /// None: force_pte_mapping() PTE-maps the linear map at boot.
    case none
}
