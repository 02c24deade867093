/// Reading users' text files and numbers, and echoing them in one-line messages.
public enum InputText {
    /// The lines of a file's text: "\n" or "\r\n" ends a line (Swift keeps "\r\n" as one
    /// Character, so a split on "\n" alone misses it) and a leading byte-order mark goes.
    public static func lines(of text: String) -> [Substring] {
        let body = text.first == "\u{FEFF}" ? text.dropFirst() : text[...]
        return body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    /// `text` with control and line-separator characters escaped (`\r`, `\n`, `\u{1B}`), so
    /// echoed input keeps a message on one line.
    public static func escaped(_ text: some StringProtocol) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: out += scalar.escaped(asASCII: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// nil unless `text` is hexadecimal digits, optionally after "0x", below 2^64 (no sign,
    /// no spaces: `UInt64(_:radix:)` alone would take "+1f").
    public static func hex(_ text: some StringProtocol) -> UInt64? {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : text[...]
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
        return UInt64(digits, radix: 16)
    }
}
