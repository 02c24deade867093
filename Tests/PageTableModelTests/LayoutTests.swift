import Foundation
import Testing
import PageTableModel
import LinearMap

@Suite struct LayoutTests {
    @Test func byteSizes() {
        #expect(ByteSize.parse("256G") == 256 << 30)
        #expect(ByteSize.parse("4T") == 4 << 40)
        #expect(ByteSize.parse("2MiB") == 2 << 20)
        #expect(ByteSize.parse("0x80000000") == 0x8000_0000)
        #expect(ByteSize.parse("4096") == 4096)
        for bad in ["12Q", "", "G", "-1G", "1.5G", "99999999999P"] { #expect(ByteSize.parse(bad) == nil) }
        #expect(ByteSize.format(256 << 30) == "256G")
    }

    @Test func numaLayoutsHaveHolesBetweenSockets() throws {
        let l = try MachineLayout.builtin("numa4", memory: 64 << 30)
        #expect(l.banks.count == 4 && l.totalBytes == 64 << 30)
        for (a, b) in zip(l.banks, l.banks.dropFirst()) { #expect(b.start > a.end) }
    }

    @Test func unknownLayoutNamesTheParameter() {
        #expect(throws: LayoutError.self) { try MachineLayout.builtin("nope", memory: 1 << 30) }
        do { _ = try MachineLayout.builtin("nope", memory: 1 << 30) } catch {
            #expect(error.description.hasPrefix("--layout:"))
        }
    }

    private func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID()).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func jsonLayoutRoundTrip() throws {
        let path = try write(#"{"name": "box", "banks": [{"start": "0x80000000", "size": "2G"}, {"start": "0x880000000", "size": 1073741824}], "kfence": {"start": "0xF0000000", "size": "2M"}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let l = try MachineLayout.load(path: path)
        #expect(l.name == "box" && l.banks.count == 2 && l.totalBytes == 3 << 30)
        #expect(l.kernelImage.start == 0x8020_0000 && l.kfencePool?.size == 2 << 20)
        let pt = try PageTable()
        try LinearMapBuilder(layout: l, mode: .block).build(into: pt)
        #expect(pt.verify(linearOffset: l.linearOffset).isEmpty)
        #expect(pt.leafHistogram() == ExpectedMap(l, .block).histogram)
    }

    @Test(arguments: [
        #"{"banks": [{"start": "0x80000000", "size": "2G"}, {"start": "0xC0000000", "size": "2G"}]}"#,
        #"{"banks": []}"#,
        #"{"banks": [{"start": "0x80000100", "size": "2G"}]}"#,
        #"{"banks": [{"start": "0x80000000"}]}"#,
        #"not json"#,
    ])
    func badJSONLayoutsAreRejectedWithTheParameterName(json: String) throws {
        let path = try write(json)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try MachineLayout.load(path: path)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.hasPrefix("--layout:"))
            #expect(!error.description.contains("\n"))
        }
    }
}
