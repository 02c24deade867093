import LinearMap

/// The summary's "what did it cost before, what does it cost now": one line per pair of
/// consecutive kernel versions in the results, naming each headline count that moved
/// between runs that differ only in the version.
enum VersionChanges {
    static func lines(_ results: [RunResult]) -> [String] {
        var groups: [String: [RunResult]] = [:]
        var order: [String] = []
        for r in results {
            let key = "\(r.spec.kind.rawValue) \(r.spec.acrossKernelsKey)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        var moves: [(from: Int, to: Int, text: String)] = []
        for key in order {
            let runs = groups[key]!.sorted { rank($0) < rank($1) }
            for (a, b) in zip(runs, runs.dropFirst()) where rank(a) < rank(b) {
                let moved = headline.compactMap { name, value -> String? in
                    let (x, y) = (value(a), value(b))
                    return x == y ? nil : "\(name) \(SummaryTable.grouped(x)) → \(SummaryTable.grouped(y))"
                }
                guard !moved.isEmpty else { continue }
                moves.append((rank(a), rank(b), "\(label(b)): " + moved.joined(separator: ", ")))
            }
        }
        let pairs = Set(moves.map { [$0.from, $0.to] }).sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        return pairs.map { pair in
            let names = KernelVersion.names
            return "\(names[pair[0]]) → \(names[pair[1]]): "
                + moves.filter { [$0.from, $0.to] == pair }.map(\.text).joined(separator: "; ")
        }
    }

    /// The counts a version change is judged by.
    static let headline: [(String, @Sendable (RunResult) -> Int)] = [
        ("dsb ishst", { $0.counters.dsbIshst }), ("isb", { $0.counters.isb }), ("TLBIs", { $0.counters.tlbi }),
        ("tables allocated", { $0.pagesAllocated }), ("page-table KiB", { $0.tableBytes / 1024 }),
    ]

    private static func rank(_ r: RunResult) -> Int { KernelVersion.names.firstIndex(of: r.spec.values["kernel"] ?? "") ?? -1 }

    private static func label(_ r: RunResult) -> String {
        "\(r.spec.kind.rawValue) (\(r.spec.values["cpu"] ?? ""), \(ByteSize.format(r.memoryBytes))\(r.spec.presetOverrides.isEmpty ? "" : ", " + r.spec.presetOverrides.map { "--\($0) \(r.spec.values[$0]!)" }.joined(separator: " ")))"
    }
}
