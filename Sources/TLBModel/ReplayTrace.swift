import Foundation

/// Replays recorded virtual addresses in order, starting over at the end.
public struct ReplayTrace: TraceGenerator {
    public let addresses: [UInt64]
    private var position = 0

    /// `--trace`: at least one address.
    public init(addresses: [UInt64], source: String = "trace") throws(TLBModelError) {
        guard !addresses.isEmpty else { throw TLBModelError("--trace: \(source) holds no addresses") }
        self.addresses = addresses
    }

    /// A file with one hexadecimal VA per line ("0x" optional); blank lines and lines
    /// starting with "#" are skipped.
    public init(contentsOfFile path: String) throws(TLBModelError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TLBModelError("--trace: \(path) cannot be read")
        }
        var vas: [UInt64] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let digits = line.hasPrefix("0x") || line.hasPrefix("0X") ? line.dropFirst(2) : Substring(line)
            guard let va = UInt64(digits, radix: 16) else {
                throw TLBModelError("--trace: \(path) line \(n + 1): '\(line)' is not a hexadecimal address")
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
