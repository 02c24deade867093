import Foundation
import LinearMap

/// Estimated time from counts: est_ns = Σ cost(kind) · count(kind) over the counted
/// events. `--cost-model` names a fitted preset (CostPresets.swift) or a JSON file of
/// per-event costs in ns: `{"tlbi": 1700, "dsb_ish": 0, "dsb_ishst": 8, "isb": 8,
/// "store": 1.3, "table": 650}`, every kind given, each a number ≥ 0.
public struct CostModel: Sendable, Equatable {
    /// A counted event with a cost.
    public enum Event: String, Sendable, CaseIterable {
        /// A TLBI of any kind (its `dsb ish` completion is a separate event).
        case tlbi
        case dsbIsh = "dsb_ish"
        case dsbIshst = "dsb_ishst"
        case isb
        /// A descriptor store at any level.
        case store
        /// A page-table page allocated, zeroing included.
        case table

        public func count(in r: RunResult) -> Int {
            switch self {
            case .tlbi: r.counters.tlbi
            case .dsbIsh: r.counters.dsbIsh
            case .dsbIshst: r.counters.dsbIshst
            case .isb: r.counters.isb
            case .store: r.counters.totalEntriesWritten
            case .table: r.pagesAllocated
            }
        }
    }

    public let name: String
    /// ns per event, every kind present.
    public let ns: [Event: Double]

    public init(name: String, ns: [Event: Double]) {
        precondition(Set(ns.keys) == Set(Event.allCases), "a cost model prices every event")
        (self.name, self.ns) = (name, ns)
    }

    public func estimateNs(_ counts: [Event: Int]) -> Double {
        Event.allCases.reduce(0) { $0 + ns[$1]! * Double(counts[$1] ?? 0) }
    }

    public func estimateNs(_ r: RunResult) -> Double { estimateNs(Self.counts(r)) }

    /// The run's count of every event.
    public static func counts(_ r: RunResult) -> [Event: Int] {
        Dictionary(uniqueKeysWithValues: Event.allCases.map { ($0, $0.count(in: r)) })
    }

    public static func preset(_ name: String) -> CostModel? { presets.first { $0.name == name } }

    public static var presetNames: [String] { presets.map(\.name) }

    /// The accepted form of `--cost-model`, as errors and help show it.
    static var form: String { (presetNames + ["FILE.json"]).joined(separator: "|") }

    /// A preset by name, else the JSON file at `text`.
    public static func resolve(_ text: String) throws(RunError) -> CostModel {
        if let model = preset(text) { return model }
        return try load(path: text)
    }

    public static func load(path: String) throws(RunError) -> CostModel {
        let name = InputText.escaped(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError("--cost-model: '\(name)' is neither a preset (\(presetNames.joined(separator: ", "))) nor a readable file")
        }
        let kinds = Event.allCases.map(\.rawValue).joined(separator: ", ")
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RunError("--cost-model: '\(name)': not a JSON object of ns per event (\(kinds))")
        }
        if let unknown = object.keys.sorted().first(where: { Event(rawValue: $0) == nil }) {
            throw RunError("--cost-model: '\(name)': unknown event \"\(InputText.escaped(unknown))\"; events: \(kinds)")
        }
        var ns: [Event: Double] = [:]
        for event in Event.allCases {
            guard let value = object[event.rawValue] else { throw RunError("--cost-model: '\(name)': needs \"\(event.rawValue)\"") }
            guard let n = value as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue.isFinite, n.doubleValue >= 0 else {
                throw RunError("--cost-model: '\(name)': \"\(event.rawValue)\" must be a number of ns ≥ 0")
            }
            ns[event] = n.doubleValue
        }
        return CostModel(name: path, ns: ns)
    }
}
