import LinearMap
import PageTableModel
import SplitWalkers

/// A kernel release as the set of version-dependent behaviours it selects (spec §9): what
/// `--kernel` resolves to. Each behaviour is an option word, so a preset and an explicit
/// option are parsed, checked and recorded by the same parameter rows.
public struct KernelVersion: Sendable {
    public let name: String
    /// Option name → the word this version selects.
    public let options: [String: String]
    /// The linear map can be split at runtime (a166563e7ec3, v6.18): before it, a map that
    /// may change (rodata=full, kfence late init, debug_pagealloc) is PTE-mapped at boot.
    public let linearMapSplit: Bool
    /// The BBML2_NOABORT allowlist this version checks.
    public let allowlist: BBMAllowlist
    /// What each behaviour is, the commit behind it and where that was checked.
    public let sources: [Source]
    /// Set when the version rests on linux-next or stable logs rather than a release tag.
    public let note: String?

    public struct Source: Sendable {
        public let behaviour: String, commit: String, verified: String
    }

    /// The option words `--kernel` fills in (each stays an override).
    public static let presetOptions = ["create-path", "map-mem", "lazy", "nesting", "variant", "kfence-init", "present-invalid", "repeat-tlbi"]

    public static func named(_ name: String) -> KernelVersion? {
        all.first { $0.name == name } ?? (name == "latest" ? all.last : nil)
    }

    public static var names: [String] { all.map(\.name) }
    public static var latest: KernelVersion { all.last! }

    /// Refuses a scenario this version has no code for, naming the version.
    func refusal(_ scenario: Scenario) -> String? {
        guard !linearMapSplit else { return nil }
        switch scenario {
        case .repaint: return "\(name) has no linear_map_split_to_ptes (a166563e7ec3, v6.18): a machine without BBML2_NOABORT PTE-maps at boot"
        case .kfence: return "\(name) PTE-maps the whole linear map when kfence initialises late (can_set_direct_map), so there is no pool to split (v6.18+)"
        case .mosaic: return "\(name) cannot split a block-mapped linear map (split_kernel_leaf_mapping is v6.18, a166563e7ec3)"
        default: return nil
        }
    }
}

/// Which CPUs a kernel lets split live block mappings (spec §10).
public enum BBMAllowlist: String, Sendable, Comparable {
    /// No BBML2 support: the linear map is PTE-mapped whenever it may change.
    case none
    /// The v6.18 list (Cortex-X4 r0p3+, Neoverse V3/V3AE r0p2+, NVIDIA Olympus, AmpereOne, 1A).
    case v6_18 = "v6.18"
    /// a7ac60414475 (2026): adds A520AE, A715, A720AE, A725, N3, C1-Nano, C1-Pro and
    /// C1-Ultra/C1-Premium from r1p1; the feature is named BBML3.
    case bbml3 = "2026"

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    private var rank: Int { switch self { case .none: 0; case .v6_18: 1; case .bbml3: 2 } }
}

extension KernelVersion {
    /// Release index: later versions compare greater.
    public var index: Int { KernelVersion.names.firstIndex(of: name)! }

    /// The versions, oldest first; the last is `latest`. Each carries what it adds to the
    /// one before; "verified" names where the lead or a reviewer read it (torvalds/linux
    /// sources, kernel.org push mails and list threads in the search corpus, which ends at
    /// next-20261009).
    public static let all: [KernelVersion] = {
        // "hotplug" is hotplug's --variant: its hot-remove rules, v6.18's until v7.1 changes them.
        var options: [String: String] = ["create-path": CreatePath.base.rawValue, "lazy": "off", "repeat-tlbi": RepeatTLBI.perTLBI.rawValue,
                                         "hotplug": HotplugRules.v6_18.rawValue]
        var split = false, allowlist = BBMAllowlist.none
        var sources: [Source] = []
        var versions: [KernelVersion] = []
        func release(_ name: String, note: String? = nil, set changes: [String: String] = [:], split s: Bool? = nil,
                     allowlist a: BBMAllowlist? = nil, _ added: [Source]) {
            options.merge(changes) { $1 }
            if let s { split = s }
            if let a { allowlist = a }
            sources += added
            versions.append(KernelVersion(name: name, options: options, linearMapSplit: split, allowlist: allowlist, sources: sources, note: note))
        }
        release("v6.9", [
            Source(behaviour: "create path base: the fixmap remapped per table, a barrier pair per entry", commit: "—", verified: "v6.9 arch/arm64/mm/mmu.c"),
            Source(behaviour: "no split: RAM PTE-mapped without CONT when can_set_direct_map() (rodata_full, debug_pagealloc, kfence late init)",
                   commit: "—", verified: "v6.9 map_mem; can_set_direct_map in 6.1-stable acfa60dbe038 review"),
            Source(behaviour: "REPEAT_TLBI per TLBI (Falkor, Kryo, A76 r0–r3, A55, A510 only)", commit: "—", verified: "arch/arm64/kernel/cpu_errata.c"),
        ])
        release("v6.10", set: ["create-path": CreatePath.current.rawValue], [
            Source(behaviour: "create path no-alloc-remap: no cont remap, batched barriers, no remap for allocate vs populate",
                   commit: "5c63db59c5f8, 1fcb7cea8a5f, 0e9df1c905d8", verified: "arm64 for-next/mm, April 2024; 6.6-stable review of 0e9df1c905d8"),
        ])
        release("v6.16", set: ["lazy": "on", "nesting": NestingPolicy.tolerant.rawValue], [
            Source(behaviour: "batched kernel-mapping barriers; vmalloc PTE updates in lazy mode", commit: "5fdd05efa1cd, 44562c71e2cf",
                   verified: "next-20250529; applied by Will Deacon"),
            Source(behaviour: "tolerant lazy-MMU nesting; no batching in interrupt context", commit: "1ef3095b1405, b81c688426a9", verified: "next-20250529"),
        ])
        release("v6.18", set: ["variant": LeafSplitVersion.v6_18.rawValue], split: true, allowlist: .v6_18, [
            Source(behaviour: "W1 split_kernel_leaf_mapping, force_pte_mapping, repaint of a mixed system with W4", commit: "a166563e7ec3",
                   verified: "v6.18 arch/arm64/mm/mmu.c, pageattr.c; in 6.18-rc1"),
            Source(behaviour: "W1 early exits (force_pte_mapping, kfence pool), W4 in lazy mode", commit: "ce2b3a50ad92, 40a292f70147",
                   verified: "arm64 for-next/fixes 2025-11-07; the patch on linux-arm-kernel"),
            Source(behaviour: "BBML2_NOABORT allowlist: Cortex-X4 r0p3+, Neoverse V3 r0p2+ (v6.17), AmpereOne/1A, V3AE r0p2+",
                   commit: "5aa4b625762e, 13efe932d2fc, 8fca3852e33d", verified: "patches on linux-arm-kernel; arch/arm64/kernel/cpufeature.c"),
        ])
        release("v7.0", set: ["nesting": NestingPolicy.counted.rawValue, "repeat-tlbi": RepeatTLBI.perSync.rawValue,
                              "kfence-init": KfenceInitCheck.b7737c38e7cb.rawValue], [
            Source(behaviour: "arch_kfence_init_pool's check simplified", commit: "b7737c38e7cb", verified: "arm64-fixes pull before 6.19-rc2 (2025-12-20); 6.18-stable"),
            Source(behaviour: "counted lazy-MMU nesting with pause/resume; arm64 hooks on the generic state", commit: "5ab246749569, 4dd9b4d7a8d5",
                   verified: "mm-unstable 2026-01-21; in 7.0-rc6 per Kevin Brodsky"),
            Source(behaviour: "REPEAT_TLBI once per completion (per-sync)", commit: "a8f78680ee6b", verified: "Mark Rutland's 6.6.y cover letter: upstream since v7.0; also 6.18.y, 6.1.y, 5.10.y"),
        ])
        release("v7.1", set: ["present-invalid": "on", "variant": LeafSplitVersion.f12b435de2f2.rawValue, "hotplug": HotplugRules.v7_1.rawValue], [
            Source(behaviour: "present-invalid large leaves; realm guests split at boot (-EBUSY windows)", commit: "15bfba1ad77f, f12b435de2f2",
                   verified: "torvalds master 2026-04-15 (arm64-upstream, after the v7.0 tag); f12b435de2f2 also 6.18.y"),
            Source(behaviour: "hot-remove refused when it splits a leaf; batched teardown flush", commit: "95a58852b0e5, 48478b9f7913",
                   verified: "torvalds master 2026-04-15 (for-next/hotplug-batched-tlbi)"),
        ])
        release("v7.2", note: "contents from the merge-window pushes of 2026-06-16 and -25, not checked against the tag", set: ["map-mem": MapMemVariant.overlay.rawValue], [
            Source(behaviour: "REPEAT_TLBI for N1, V1, N2, V2/Grace, V3, X4, C1-Ultra and more (ARM64_ERRATUM_4118414, CVE-2025-10263)",
                   commit: "cfd391e74134", verified: "torvalds push 2026-06-16; stable 7.1.1, 7.0.13, 6.18.36, 6.12.94"),
            Source(behaviour: "map_mem overlay (kfence pool, text alias, data/bss, then the banks; tables kept, CONT only where safe), data/bss alias read-only",
                   commit: "a64293e993f6, ecda73ae92ca, dfd73e574d38, d672a4b72c95, f2ba877402e5, 36fa5ffa6034",
                   verified: "Ard Biesheuvel's v7 series on linux-arm-kernel; arm64 pushes of 2026-06-25, torvalds 2026-06-16 (the unmap, 63e0b6a5b693, reverted in the same pull)"),
        ])
        release("v7.3", note: "the newest release the corpus shows (merge window 2026-08-18, rc merges to -rc7); v7.4 not verified",
                set: ["map-mem": MapMemVariant.overlayUnmap.rawValue], allowlist: .bbml3, [
            Source(behaviour: "kernel data/bss alias made invalid (set_memory_valid) after the text alias goes read-only", commit: "fb0f3ef5601a",
                   verified: "arm64 for-next/mm 2026-08-07; torvalds push 2026-08-18; modelled after its first form 53205d56212c (fb0f3ef5601a's text not found)"),
            Source(behaviour: "no-map reserved memory no longer mapped: not modelled (layouts are page-aligned, so rounding inward changes nothing)",
                   commit: "7ace06a01efa", verified: "next-20260807; torvalds push 2026-08-18 (title only)"),
            Source(behaviour: "BBML3: BBML2_NOABORT renamed, detected from ID_AA64MMFR2_EL1.BBM ≥ 3, allowlist extended (C1-Ultra/Premium r1p1+, N3, A715, A725, …)",
                   commit: "94104e3cfa80, 879aca5119cd, a7ac60414475", verified: "torvalds push 2026-08-18 (subjects); list contents from a secondary source"),
        ])
        return versions
    }()
}
