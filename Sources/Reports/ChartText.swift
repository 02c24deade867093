import Foundation

/// Text safe inside an SVG element or a double-quoted attribute.
func escapeXML(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}

/// An SVG coordinate.
func px(_ v: Double) -> String { String(format: "%.1f", v) }

/// The width `text` takes at `size` px. SVG has no text metrics, so this uses DejaVu Sans's
/// advances (the widest of the fonts the charts ask for): layouts that fit it fit Helvetica.
func textWidth(_ text: String, size: Double) -> Double {
    text.reduce(0) { width, c in
        let em: Double
        switch c {
        case "0"..."9", "_", "~", "#", "$", "?": em = 0.64
        case "i", "j", "l", "'", "|", ".", ",", ":", ";", "!", " ", "·": em = 0.32
        case "f", "r", "t", "(", ")", "[", "]", "-", "/": em = 0.42
        case "m", "w", "%", "M", "W", "—": em = 0.98
        case "A"..."Z", "&", "@", "×", "→": em = 0.72
        default: em = 0.62
        }
        return width + em * size
    }
}

/// `text` broken into lines no wider than `width`, at `separator`s (kept at the end of a
/// line); a piece wider than `width` on its own gets a line of its own.
func wrap(_ text: String, width: Double, size: Double, at separator: String = " ") -> [String] {
    let pieces = text.components(separatedBy: separator)
    var lines: [String] = []
    var line = ""
    for (i, piece) in pieces.enumerated() {
        let word = piece + (i < pieces.count - 1 ? separator : "")
        if !line.isEmpty && textWidth((line + word).trimmingCharacters(in: .whitespaces), size: size) > width {
            lines.append(line.trimmingCharacters(in: .whitespaces))
            line = ""
        }
        line += word
    }
    lines.append(line.trimmingCharacters(in: .whitespaces))
    return lines
}

/// A category label's line too wide for its group is broken at spaces, then at hyphens
/// ("before-ce2b3a50ad92" → "before-", "ce2b3a50ad92").
func wrapLabel(_ text: String, width: Double, size: Double) -> [String] {
    wrap(text, width: width, size: size).flatMap { line in
        textWidth(line, size: size) > width ? wrap(line, width: width, size: size, at: "-") : [line]
    }
}

/// An SVG element with `attributes` in order, around `content` (SVG text), or self-closing.
func element(_ name: String, _ attributes: KeyValuePairs<String, String>, content: String? = nil) -> String {
    let list = attributes.map { " \($0.key)=\"\(escapeXML($0.value))\"" }.joined()
    return content.map { "<\(name)\(list)>\($0)</\(name)>" } ?? "<\(name)\(list)/>"
}
