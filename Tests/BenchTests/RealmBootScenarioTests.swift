import BenchHarness
import Foundation
import Testing

/// The realm-boot scenario through the parameter table, the runner and the CSV row.
@Suite struct RealmBootScenarioTests {
    func row(_ given: [(String, String)]) throws -> [String: String] {
        let r = try ScenarioRunner.run(spec([("scenario", "realm-boot"), ("memory", "4G")] + given))
        return Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(r)))
    }

    @Test func defaultsAreTheRealmFix() throws {
        let s = try spec([("scenario", "realm-boot"), ("kernel", "v7.1")])
        #expect(s.values["variant"] == "f12b435de2f2" && s.values["present-invalid"] == "on"
                && s.values["bbml2"] == "all" && s.values["swiotlb-bytes"] == "67108864"
                && s.values["its-bytes"] == "262144" && s.walkerLabel == "leaf")
    }

    /// swiotlb and four ITS tables, none in a window: no WARN, no EBUSY. Present-invalid
    /// adds exactly the swiotlb blocks' second-pass emit (PTEs are rewritten either way).
    @Test func fixedKernelSplitsWithoutWarnings() throws {
        let off = try row([("present-invalid", "off")])
        let on = try row([("present-invalid", "on")])
        for r in [off, on] {
            #expect(r["issued"] == "5" && r["errors"] == "0" && r["warnings"] == "0" && r["ebusy"] == "0")
        }
        #expect(Int(on["dsb_ishst"]!)! == Int(off["dsb_ishst"]!)! + 1 && Int(on["isb"]!)! == Int(off["isb"]!)! + 1)
        // The 32 swiotlb blocks are leaves again only with present-invalid.
        #expect(Int(on["leaf_pmd_cont"]!)! == Int(off["leaf_pmd_cont"]!)! + 32)
    }

    /// v6.18 on a block map: no split before the capabilities are final, so every call meets
    /// a block it cannot cover (pageattr's WARN and realm_set_memory_decrypted's).
    @Test func v618FailsEveryCall() throws {
        let r = try row([("variant", "v6.18")])
        #expect(r["errors"] == "5" && r["warnings"] == "10" && r["ebusy"] == "0" && r["pt_pages_alloc"] == "0")
    }

    @Test func badSizesAreOneLineNamingTheOption() {
        #expect(throws: RunError("--its-bytes: '100K' is not valid; use a size such as 256K (a multiple of 64K)")) {
            try spec([("scenario", "realm-boot"), ("its-bytes", "100K")])
        }
        #expect(throws: RunError("--swiotlb-bytes: no ordinary memory below PA 4 GiB holds a 8G buffer; use a smaller size")) {
            try ScenarioRunner.prepare(spec([("scenario", "realm-boot"), ("memory", "16G"), ("swiotlb-bytes", "8G")]))
        }
    }
}
