import Foundation
import LinearMap
import Reports

/// Fits cost models to measured wall times (spec §7's map_mem table) from SplitBench's own
/// counts, and checks how well a fit predicts the cells it did not see.
///
/// The fit has one unknown per component, a fixed mix of event costs: with four states per
/// column, the six event costs cannot all be told apart (see README, "Time from counts").
/// It minimises the squared relative error, Σ ((estimate − measured) / measured)², with
/// every component ≥ 0 (non-negative least squares).
public enum CostFit {
    /// One measured cell: a machine's map_mem time for one create-path state and size.
    public struct Cell: Sendable, Equatable {
        public var machine: String, memory: UInt64, state: String, ms: Double

        public init(machine: String, memory: UInt64, state: String, ms: Double) {
            (self.machine, self.memory, self.state, self.ms) = (machine, memory, state, ms)
        }

        /// The table column the cell is in.
        public var column: String { "\(machine) \(ByteSize.format(memory))" }
    }

    /// A cell with the counts of its run.
    public struct Sample: Sendable {
        public var cell: Cell
        public var counts: [CostModel.Event: Int]

        public init(cell: Cell, counts: [CostModel.Event: Int]) { (self.cell, self.counts) = (cell, counts) }
    }

    /// One unknown of the fit: `mix` gives each event's cost per unit of it.
    public struct Component: Sendable {
        public let name: String
        public let mix: [CostModel.Event: Double]
    }

    /// A TLBI priced with its `dsb ish` completion (at boot every TLBI has exactly one);
    /// an emitted barrier pair, split evenly between its `dsb ishst` and `isb`; a
    /// descriptor store, with a table's allocation and zeroing priced as the 512 stores
    /// that zeroing is.
    public static let components = [
        Component(name: "tlbi+dsb_ish", mix: [.tlbi: 1]),
        Component(name: "dsb_ishst=isb", mix: [.dsbIshst: 1, .isb: 1]),
        Component(name: "store=table/512", mix: [.store: 1, .table: 512]),
    ]

    /// A fitted model: ns per unit of each component.
    public struct Fit: Sendable, Equatable {
        public let units: [Double]

        public init(units: [Double]) { self.units = units }

        public func model(name: String) -> CostModel {
            var ns = Dictionary(uniqueKeysWithValues: CostModel.Event.allCases.map { ($0, 0.0) })
            for (c, u) in zip(CostFit.components, units) { for (event, share) in c.mix { ns[event]! += share * u } }
            return CostModel(name: name, ns: ns)
        }
    }

    static func features(_ counts: [CostModel.Event: Int]) -> [Double] {
        components.map { c in c.mix.reduce(0) { $0 + $1.value * Double(counts[$1.key] ?? 0) } }
    }

    /// The non-negative least-squares fit of `samples` in relative error; nil when the
    /// samples determine no component.
    public static func fit(_ samples: [Sample]) -> Fit? {
        // Relative error: each equation divided by its measurement.
        let rows = samples.map { s in features(s.counts).map { $0 / (s.cell.ms * 1e6) } }
        let target = [Double](repeating: 1, count: samples.count)
        return nonNegativeLeastSquares(rows, target).map(Fit.init)
    }

    /// min ‖A·x − b‖ subject to x ≥ 0, exactly: the unconstrained solution on every
    /// support, keeping the best one that is non-negative (2^n supports; n is 3).
    public static func nonNegativeLeastSquares(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = a.first?.count ?? 0
        var best: (residual: Double, x: [Double])?
        for support in 1..<(1 << n) {
            let columns = (0..<n).filter { support & (1 << $0) != 0 }
            guard let xs = leastSquares(a.map { row in columns.map { row[$0] } }, b), xs.allSatisfy({ $0 >= 0 }) else { continue }
            var x = [Double](repeating: 0, count: n)
            for (j, v) in zip(columns, xs) { x[j] = v }
            let residual = zip(a, b).reduce(0) { sum, e in
                let r = zip(e.0, x).reduce(0) { $0 + $1.0 * $1.1 } - e.1
                return sum + r * r
            }
            // A smaller residual wins; on a tie (to rounding), the smaller support.
            if best == nil || residual < best!.residual * (1 - 1e-9) { best = (residual, x) }
        }
        return best?.x
    }

    /// Unconstrained least squares through the normal equations, columns scaled to unit
    /// norm first; nil when the columns are (numerically) dependent.
    static func leastSquares(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = a.first?.count ?? 0
        let scale = (0..<n).map { j in a.reduce(0) { $0 + $1[j] * $1[j] }.squareRoot() }
        guard scale.allSatisfy({ $0 > 0 }) else { return nil }
        var m = (0..<n).map { i in
            (0..<n).map { j in a.reduce(0) { $0 + $1[i] * $1[j] } / (scale[i] * scale[j]) }
                + [zip(a, b).reduce(0) { $0 + $1.0[i] * $1.1 } / scale[i]]
        }
        for k in 0..<n {
            let p = (k..<n).max { abs(m[$0][k]) < abs(m[$1][k]) }!
            guard abs(m[p][k]) > 1e-10 else { return nil }
            m.swapAt(k, p)
            for i in 0..<n where i != k {
                let f = m[i][k] / m[k][k]
                for j in k...n { m[i][j] -= f * m[k][j] }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] / scale[$0] }
    }

    // MARK: The reference table

    /// Reads a table of `machine,memory,state,ms` lines (memory as 16G; state a create-path
    /// state), in the file's order.
    public static func cells(path: String) throws(RunError) -> [Cell] {
        let table: CSVTable
        do { table = try CSVTable(contentsOfFile: path) } catch { throw RunError("--table: \(error)") }
        let header = ["machine", "memory", "state", "ms"]
        guard table.columns == header else { throw RunError("--table: '\(InputText.escaped(path))': the header must be \(header.joined(separator: ","))") }
        var cells: [Cell] = []
        for (i, row) in table.rows.enumerated() {
            guard let machine = row["machine"], !machine.isEmpty, let memory = ByteSize.parse(row["memory"]!), memory > 0,
                  let state = row["state"], !state.isEmpty, let ms = Double(row["ms"]!), ms > 0, ms.isFinite else {
                throw RunError("--table: '\(InputText.escaped(path))': line \(i + 2): expected machine,size,state,milliseconds > 0")
            }
            cells.append(Cell(machine: machine, memory: memory, state: state, ms: ms))
        }
        guard !cells.isEmpty else { throw RunError("--table: '\(InputText.escaped(path))' has no cells") }
        return cells
    }

    /// The run whose counts a cell's time is fitted to: map_mem of the series' base
    /// (v6.9-rc2), PTE-mapped (rodata=full), on one bank of the cell's size, through the
    /// cell's create-path state.
    public static func spec(_ cell: Cell) throws(RunError) -> RunSpec {
        try RunSpec.parse([("scenario", "boot"), ("kernel", "v6.9"), ("mode", "pte"), ("layout", "single"),
                           ("memory", String(cell.memory)), ("create-path", cell.state), ("boot", "map-mem")])
    }

    // MARK: Fits and their predictions

    /// A cell's estimate from a fit that may or may not have seen it.
    public struct Prediction: Sendable {
        public var cell: Cell
        public var ms: Double
        public var error: Double { ms / cell.ms - 1 }
    }

    /// Every fit and check of one table.
    public struct Report: Sendable {
        /// One preset per machine, fitted on all its cells.
        public var presets: [(model: CostModel, fit: Fit)] = []
        /// Each cell by its machine's preset.
        public var inSample: [Prediction] = []
        /// Each cell from the other cells of its column.
        public var leaveOneOut: [Prediction?] = []
        /// Each cell of a machine's larger sizes from its smallest size's column (nil: the
        /// smallest size itself, or a machine with one size).
        public var fromSmallest: [Prediction?] = []
    }

    static func predict(_ fit: Fit?, _ s: Sample) -> Prediction? {
        fit.map { Prediction(cell: s.cell, ms: $0.model(name: "").estimateNs(s.counts) / 1e6) }
    }

    public static func report(_ samples: [Sample]) -> Report {
        var report = Report()
        var machines: [String] = []
        for s in samples where !machines.contains(s.cell.machine) { machines.append(s.cell.machine) }
        for machine in machines.sorted() {
            if let fit = fit(samples.filter { $0.cell.machine == machine }) { report.presets.append((fit.model(name: machine), fit)) }
        }
        for s in samples {
            let preset = report.presets.first { $0.model.name == s.cell.machine }
            report.inSample.append(predict(preset?.fit, s)!)
            let others = samples.filter { $0.cell.column == s.cell.column && $0.cell.state != s.cell.state }
            report.leaveOneOut.append(others.isEmpty ? nil : predict(fit(others), s))
            let smallest = samples.filter { $0.cell.machine == s.cell.machine }.map(\.cell.memory).min()!
            report.fromSmallest.append(smallest == s.cell.memory ? nil
                : predict(fit(samples.filter { $0.cell.machine == s.cell.machine && $0.cell.memory == smallest }), s))
        }
        return report
    }

    // MARK: Output

    /// Every cell's measurement, predictions and errors as a Markdown table, then each
    /// preset's components.
    public static func markdown(_ report: Report) -> String {
        func cell(_ p: Prediction?) -> String { p.map { String(format: "%.1f | %+.1f %%", $0.ms, 100 * $0.error) } ?? "– | –" }
        var lines = ["| column | state | measured ms | preset ms | error | leave-one-out ms | error | from smallest size ms | error |",
                     "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for (i, p) in report.inSample.enumerated() {
            lines.append("| \(p.cell.column) | \(p.cell.state) | \(String(format: "%g", p.cell.ms)) | \(cell(p)) | \(cell(report.leaveOneOut[i])) | \(cell(report.fromSmallest[i])) |")
        }
        lines += ["", "| preset | " + components.map(\.name).joined(separator: " ns | ") + " ns |",
                  "|---|" + String(repeating: "---:|", count: components.count)]
        for (model, fit) in report.presets { lines.append("| \(model.name) | " + fit.units.map(number).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    }

    /// CostPresets.swift: the presets as a Swift table, with the command that wrote them.
    public static func presetsSource(_ report: Report, command: String, date: String) -> String {
        var lines = [
            "// Generated by `\(command)` on \(date):",
            "// per-event costs fitted by least squares to spec §7's map_mem table from SplitBench's own",
            "// counts. Refit with that command (scripts/costfit); do not edit.",
            "",
            "extension CostModel {",
            "    public static let presets: [CostModel] = [",
        ]
        for (model, _) in report.presets {
            let ns = CostModel.Event.allCases.map { ".\($0): \(number(model.ns[$0]!))" }.joined(separator: ", ")
            lines.append("        CostModel(name: \"\(model.name)\", ns: [\(ns)]),")
        }
        return (lines + ["    ]", "}", ""]).joined(separator: "\n")
    }

    /// Four significant digits, no exponent.
    static func number(_ x: Double) -> String {
        guard x != 0 else { return "0" }
        let digits = max(0, 3 - Int(floor(log10(abs(x)))))
        return String(format: "%.\(digits)f", x)
    }
}
