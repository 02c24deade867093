import Foundation

/// The parts every chart shares: title, plot area, axes, axis labels and legend.
struct ChartFrame {
    static let width = 760.0, height = 460.0
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static func color(_ i: Int) -> String { palette[i % palette.count] }

    let left = 80.0, top = 50.0, right = width - 200, bottom = height - 70
    var plotWidth: Double { right - left }
    var body = ""
    let head: String

    init(title: String, xLabel: String, yLabel: String, series: [String]) {
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text class="title" x="\(px(Self.width / 2))" y="28" text-anchor="middle" font-size="16">\(escapeXML(title))</text>
            <text class="axis-label x" x="\(px((left + right) / 2))" y="\(px(Self.height - 20))" text-anchor="middle">\(escapeXML(xLabel))</text>
            <text class="axis-label y" x="20" y="\(px((top + bottom) / 2))" text-anchor="middle" \
            transform="rotate(-90 20 \(px((top + bottom) / 2)))">\(escapeXML(yLabel))</text>

            """
        for (i, name) in series.enumerated() {
            let y = top + 10 + Double(i) * 20
            s += """
                <rect class="legend-swatch" x="\(px(right + 20))" y="\(px(y - 9))" width="12" height="12" fill="\(Self.color(i))"/>\
                <text class="legend-entry" x="\(px(right + 38))" y="\(px(y + 1))">\(escapeXML(name))</text>\n
                """
        }
        head = s
    }

    func xPosition(_ scale: ChartScale, _ v: Double) -> Double { left + scale.fraction(v) * plotWidth }
    func yPosition(_ scale: ChartScale, _ v: Double) -> Double { bottom - scale.fraction(v) * (bottom - top) }

    /// Ticks, labels and light grid lines of the vertical axis.
    mutating func drawValueAxis(_ scale: ChartScale) {
        for tick in scale.ticks {
            let y = px(yPosition(scale, tick))
            body += """
                <line class="grid" x1="\(px(left))" y1="\(y)" x2="\(px(right))" y2="\(y)" stroke="#dddddd"/>\
                <text class="tick y" x="\(px(left - 6))" y="\(y)" text-anchor="end" dominant-baseline="middle">\(compactNumber(tick))</text>\n
                """
        }
    }

    /// A labelled mark under the horizontal axis.
    mutating func categoryTick(_ label: String, at x: Double) {
        body += """
            <line class="tick" x1="\(px(x))" y1="\(px(bottom))" x2="\(px(x))" y2="\(px(bottom + 5))" stroke="black"/>\
            <text class="tick x" x="\(px(x))" y="\(px(bottom + 20))" text-anchor="middle">\(escapeXML(label))</text>\n
            """
    }

    /// The axis lines go last, over the grid and the bars.
    func finish() -> String {
        head + body + """
            <line class="axis" x1="\(px(left))" y1="\(px(bottom))" x2="\(px(right))" y2="\(px(bottom))" stroke="black"/>
            <line class="axis" x1="\(px(left))" y1="\(px(top))" x2="\(px(left))" y2="\(px(bottom))" stroke="black"/>
            </svg>

            """
    }
}

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
