/// Parsing of sizes and addresses as users write them: `256G`, `4T`, `2M`, `4096`, `0x80000000`.
public enum ByteSize {
    /// nil when `text` is not a size below 2^64: digits with an optional K/M/G/T/P binary
    /// suffix (a trailing "iB" or "B" is allowed), or a 0x-prefixed hexadecimal number.
    public static func parse(_ text: String) -> UInt64? {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased()
        if s.hasPrefix("0X") { return InputText.hex(s) }
        if s.hasSuffix("IB") { s.removeLast(2) } else if s.hasSuffix("B") { s.removeLast() }
        let shifts: [Character: UInt64] = ["K": 10, "M": 20, "G": 30, "T": 40, "P": 50]
        var shift: UInt64 = 0
        if let last = s.last, let sh = shifts[last] { shift = sh; s.removeLast() }
        // Digits only: `UInt64(_:)` would also take a sign.
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt64(s), n <= (UInt64.max >> shift) else { return nil }
        return n << shift
    }

    /// The accepted forms, for messages.
    public static let form = "a byte count such as 4096, 2M, 256G or 0x200000, below 2^64"

    /// `256G`-style rendering when exact, else bytes.
    public static func format(_ bytes: UInt64) -> String {
        for (suffix, shift) in [("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)] as [(String, UInt64)]
        where bytes >= (1 << shift) && bytes & ((1 << shift) - 1) == 0 {
            return "\(bytes >> shift)\(suffix)"
        }
        return "\(bytes)"
    }
}

import Foundation
