import Foundation
import LinearMap

/// Replays recorded virtual addresses in order, starting over at the end.
public struct ReplayTrace: TraceGenerator {
    public let addresses: [UInt64]
    private var position = 0
    /// A perf capture's addresses by kind (`init(perfFile:)`); nil for a plain file.
    public internal(set) var census: PerfCensus?

    /// `--trace`: at least one address.
    public init(addresses: [UInt64], source: String = "trace") throws(TLBModelError) {
        guard !addresses.isEmpty else { throw TLBModelError("--trace: \(source) holds no addresses") }
        self.addresses = addresses
    }

    /// A UTF-8 file with one hexadecimal VA per line ("0x" optional); "\n" or "\r\n"
    /// line ends, a byte-order mark, blank lines and lines starting with "#" are allowed.
    /// Any VA is accepted: one the map does not translate is a fault when replayed.
    public init(contentsOfFile path: String) throws(TLBModelError) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TLBModelError("--trace: \(path) cannot be read as UTF-8 text")
        }
        var vas: [UInt64] = []
        for (n, raw) in InputText.lines(of: text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let va = InputText.hex(line) else {
                throw TLBModelError("--trace: \(path):\(n + 1): '\(line)' is not a hexadecimal address; expected one VA per line, such as 0xffff000012345000")
            }
            vas.append(va)
        }
        try self.init(addresses: vas, source: path)
    }

    public var count: Int { addresses.count }

    @inline(__always) public mutating func next() -> UInt64 {
        let va = addresses[position]
        position += 1
        if position == addresses.count { position = 0 }
        return va
    }
}
