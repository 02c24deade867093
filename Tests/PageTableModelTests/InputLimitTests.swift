import Foundation
import Testing
import PageTableModel
import LinearMap

/// User-supplied sizes and addresses at and past their limits: each gives one error line,
/// never a trap.
@Suite struct InputLimitTests {
    static let tib: UInt64 = 1 << 40

    @Test func byteSizesNear2To64() {
        #expect(ByteSize.parse("16383P") == 16383 << 50)
        #expect(ByteSize.parse("17179869183G") == 17_179_869_183 << 30)
        #expect(ByteSize.parse("18446744073709551615") == .max)
        #expect(ByteSize.parse("0xffffffffffffffff") == .max)
        for past in ["16384P", "17179869184G", "18446744073709551616", "0x10000000000000000", "99999999999999999999K"] {
            #expect(ByteSize.parse(past) == nil, "\(past)")
        }
        for signed in ["+4096", "+4K", "0x+1000", "0x-1", "-0"] { #expect(ByteSize.parse(signed) == nil, "\(signed)") }
    }

    // MARK: Built-in layouts

    @Test(arguments: [("single", 0xFFFF_FFFF_FFFF_F000), ("numa4", 0xFFFF_FFFF_FFFF_0000), ("numa2", 0xFFFF_FFFF_FFFF_E000),
                      ("single", 128 * tib + 4096), ("numa4", 129 * tib)] as [(String, UInt64)])
    func memoryPastTheLinearMapIsRefused(layout: String, memory: UInt64) {
        let error = LayoutError("--memory: 0x\(String(memory, radix: 16)) bytes is more than the 48-bit linear map holds; use at most 128T")
        #expect(throws: error) { try MachineLayout.builtin(layout, memory: memory) }
        #expect(throws: error) { try MachineLayout.builtin(layout, memory: memory, earlyKfence: true) }
    }

    @Test func numaNodesSpreadPastTheLinearMapNameTheBank() {
        // 2 × 64 TiB nodes 65 TiB apart reach 129 TiB above memstart.
        #expect(throws: LayoutError("--memory: layout numa2: bank [0x410080000000, 0x810080000000) cannot be linearly mapped: "
            + "it ends 129T above memstart 0x80000000, past the 128T linear map [0xffff000000000000, 0xffff800000000000); use a smaller --memory")) {
            try MachineLayout.builtin("numa2", memory: 128 * Self.tib)
        }
    }

    @Test func theLargestLayoutsFillTheLinearMapExactly() throws {
        let single = try MachineLayout.builtin("single", memory: 128 * Self.tib)
        #expect(single.linearEnd == LinearMapRange.end)
        let numa = try MachineLayout.builtin("numa4", memory: 124 * Self.tib)
        #expect(numa.linearEnd == LinearMapRange.start + 127 * Self.tib)
    }

    // MARK: JSON layouts

    private func load(_ json: String) throws(LayoutError) -> MachineLayout {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID()).json").path
        try? json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try MachineLayout.load(path: path)
    }

    /// The error after "--layout: 'PATH': ".
    private func message(_ json: String) -> String? {
        do {
            _ = try load(json)
            return nil
        } catch {
            #expect(error.description.hasPrefix("--layout: '"))
            return error.description.split(separator: "': ", maxSplits: 1).last.map(String.init)
        }
    }

    private static let bank = #"{"start": "0x80000000", "size": "2G"}"#

    @Test(arguments: [
        (#"[{"start": "0xffffffffffff0000", "size": "1G"}]"#, "bank [0xffffffffffff0000, 2^64 + 0x3fff0000) ends above the 48-bit PA space (0x1000000000000)"),
        (#"[{"start": "0x80000000", "size": "0xfffffffffffff000"}]"#, "bank [0x80000000, 2^64 + 0x7ffff000) ends above the 48-bit PA space (0x1000000000000)"),
        (#"[{"start": "0x80000000", "size": "16383P"}]"#, "bank [0x80000000, 0xfffc000080000000) ends above the 48-bit PA space (0x1000000000000)"),
        (#"[{"start": "0xfffffffffffff000", "size": 4096}]"#, "bank [0xfffffffffffff000, 2^64 + 0x0) ends above the 48-bit PA space (0x1000000000000)"),
        (#"[{"start": "0xffffffff0000", "size": "1M"}]"#, "bank [0xffffffff0000, 0x10000000f0000) ends above the 48-bit PA space (0x1000000000000)"),
        (#"[{"start": "0x80000000", "size": "2G"}, {"start": "0x900000000000", "size": "2G"}]"#,
         "bank [0x900000000000, 0x900080000000) cannot be linearly mapped: it ends 144T above memstart 0x80000000, past the 128T linear map [0xffff000000000000, 0xffff800000000000)"),
    ] as [(String, String)])
    func banksPast2To64OrTheLinearMapAreRefused(banks: String, problem: String) throws {
        #expect(message(#"{"name": "x", "banks": \#(banks)}"#) == "layout x: " + problem)
    }

    @Test(arguments: [
        ("kernel", #"{"start": "0x80200000", "size": "0xfffffffffff00000"}"#, "kernel image [0x80200000, 2^64 + 0x80100000) is not inside one memory bank"),
        ("kernel", #"{"start": "0xffffffffffe00000", "size": "2M"}"#, "kernel image [0xffffffffffe00000, 2^64 + 0x0) is not inside one memory bank"),
        ("kfence", #"{"start": "0x90000000", "size": "16383P"}"#, "kfence pool [0x90000000, 0xfffc000090000000) is not inside one memory bank"),
        ("kfence", #"{"start": "0xfffffffffffff000", "size": "4K"}"#, "kfence pool [0xfffffffffffff000, 2^64 + 0x0) is not inside one memory bank"),
    ])
    func carveOutsPast2To64AreRefused(key: String, range: String, problem: String) {
        #expect(message(#"{"name": "x", "banks": [\#(Self.bank)], "\#(key)": \#(range)}"#) == "layout x: " + problem)
    }

    @Test(arguments: [
        (#"1.5"#, "banks[0].size 1.5"), (#"true"#, "banks[0].size true"), (#"1e30"#, "banks[0].size 1e+30"),
        (#"-4096"#, "banks[0].size -4096"), (#"18446744073709551616"#, "banks[0].size 18446744073709551616"),
        (#""1.5G""#, #"banks[0].size "1.5G""#), (#"[1]"#, "banks[0].size of the wrong type"),
    ])
    func numbersMustBeWholeAndBelow2To64(size: String, echo: String) {
        #expect(message(#"{"banks": [{"start": "0x80000000", "size": \#(size)}]}"#)
            == "\(echo) is not a JSON integer or a byte count such as 4096, 2M, 256G or 0x200000, below 2^64")
    }

    @Test func theLargestJSONIntegerIsANumber() throws {
        #expect(message(#"{"name": "x", "banks": [{"start": 18446744073709551615, "size": 4096}]}"#)
            == "layout x: bank [0xffffffffffffffff, 2^64 + 0xfff) is empty or not 4 KiB aligned")
    }

    @Test(arguments: [
        (#"{"banks": [\#(bank)], "kfance": {"start": "0x90000000", "size": "2M"}}"#, #"unknown key "kfance"; accepted keys: name, banks, kernel, stext, init_end, bss_stop, kfence"#),
        (#"{"bank": [\#(bank)]}"#, #"unknown key "bank"; accepted keys: name, banks, kernel, stext, init_end, bss_stop, kfence"#),
        (#"{"banks": [{"start": "0x80000000", "size": "2G", "node": 1}]}"#, #"unknown key "node" in banks[0]; accepted keys: start, size"#),
        (#"{"banks": [\#(bank), {"start": "0x880000000", "sise": "1G"}]}"#, #"unknown key "sise" in banks[1]; accepted keys: start, size"#),
        (#"{"banks": [\#(bank)], "kernel": {"start": "0x80200000", "size": "2M", "end": "0x80400000"}}"#, #"unknown key "end" in kernel; accepted keys: start, size"#),
        (#"{"banks": [\#(bank)], "kfence": {"base": "0x90000000", "size": "2M"}}"#, #"unknown key "base" in kfence; accepted keys: start, size"#),
        (#"{"banks": [\#(bank)], "a\nb": 1}"#, #"unknown key "a\nb"; accepted keys: name, banks, kernel, stext, init_end, bss_stop, kfence"#),
        (#"{"banks": [\#(bank)], "kernel": 5}"#, #"kernel must be an object {"start", "size"}"#),
        (#"{"banks": [\#(bank)], "name": 5}"#, #""name" must be a string"#),
        (#"{"banks": [\#(bank)], "kernel": {"start": "0x80200000"}}"#, #"kernel needs "size""#),
    ])
    func unknownKeysAndWrongShapesAreNamed(json: String, problem: String) {
        #expect(message(json) == problem)
    }

    /// __init_end and __bss_stop from a file, defaults cut at the bank's end, and the order
    /// the symbols must keep.
    @Test func dataAliasSymbols() throws {
        let kernel = #""kernel": {"start": "0x80200000", "size": "0x1d00000"}"#
        #expect(try load(#"{"banks": [\#(Self.bank)], \#(kernel), "init_end": "0x82b70000", "bss_stop": "0x82f00000"}"#).dataAlias
            == PhysRange(start: 0x82B7_0000, size: 0x39_0000))
        #expect(try load(#"{"banks": [{"start": "0x80000000", "size": "44M"}], \#(kernel)}"#).dataAlias
            == PhysRange(start: 0x8287_0000, size: 0x39_0000))
        let order = "layout x: __init_end 0x81000000 and __bss_stop 0x82f00000 must be 4 KiB aligned, in order after the kernel image [0x80200000, 0x81f00000), and inside one memory bank"
        #expect(message(#"{"name": "x", "banks": [\#(Self.bank)], \#(kernel), "init_end": "0x81000000", "bss_stop": "0x82f00000"}"#) == order)
    }

    @Test func aNameWithACommaIsKept() throws {
        #expect(try load(#"{"name": "box, 2 nodes", "banks": [\#(Self.bank)]}"#).name == "box, 2 nodes")
    }

    @Test func memTotalOfALayoutSmallerThanItsReservationsIsZero() throws {
        let l = try load(#"{"banks": [{"start": "0x80000000", "size": "4K"}], "kernel": {"start": "0x80000000", "size": "4K"}}"#)
        #expect(l.memTotalKB(pageTableBytes: 3 * 4096) == 0)
        let two = try MachineLayout.builtin("single", memory: 2 << 30)
        #expect(two.memTotalKB(pageTableBytes: 4096) == ((2 << 30) - 0x1F1_0000 - (2 << 30) / 64 - 4096) / 1024)
    }

    @Test func linearRangesMergeAdjacentBanks() throws {
        let l = try MachineLayout(name: "three", banks: [PhysRange(start: 0x1_0000_0000, size: 1 << 30),
                                                         PhysRange(start: 0x8000_0000, size: 2 << 30),
                                                         PhysRange(start: 0x2_0000_0000, size: 1 << 30)])
        #expect(l.linearRanges == [LinearMapRange.start..<LinearMapRange.start + (3 << 30),
                                   LinearMapRange.start + (6 << 30)..<LinearMapRange.start + (7 << 30)])
        #expect(l.kernelImage == PhysRange(start: 0x8020_0000, size: MachineLayout.defaultKernelImageSize))
    }

    @Test func errorsStayOnOneLine() {
        #expect(LayoutError("a\rb\nc\u{1B}d\u{2028}").description == #"a\rb\nc\u{1B}d\u{2028}"#)
    }
}
