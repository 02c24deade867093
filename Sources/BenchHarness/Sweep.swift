/// The cartesian product of parameter lists, in a fixed order, and the deterministic
/// slices a batch scheduler can spread over machines.
public enum Sweep {
    /// Every combination of `axes`, each resolved and checked as one run, and its option
    /// texts (what a `--jobs` child is given); the last axis varies fastest. A value a
    /// combination does not use is an error naming the option.
    public static func product(_ axes: [(option: String, values: [String])]) throws(RunError)
        -> (specs: [RunSpec], options: [[(String, String)]]) {
        var combinations: [[(String, String)]] = [[]]
        for axis in axes {
            guard !axis.values.isEmpty, !axis.values.contains("") else { throw RunError("--\(axis.option): empty list item") }
            combinations = combinations.flatMap { c in axis.values.map { c + [(axis.option, $0)] } }
        }
        return (try combinations.map { c throws(RunError) in try RunSpec.parse(c) }, combinations)
    }

    /// A sweep option's comma-separated items; `\,` is a comma inside an item (a file
    /// name with a comma).
    public static func listItems(_ text: String) -> [String] {
        var items = [""]
        var escaped = false
        for ch in text {
            if escaped { items[items.count - 1].append(ch); escaped = false }
            else if ch == "\\" { escaped = true }
            else if ch == "," { items.append("") }
            else { items[items.count - 1].append(ch) }
        }
        if escaped { items[items.count - 1].append("\\") }
        return items
    }

    /// `K/N` with 1 ≤ K ≤ N.
    public static func parseShard(_ text: String) throws(RunError) -> (k: Int, n: Int) {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw RunError("--shard: '\(text)' is not valid; use K/N with 1 ≤ K ≤ N, e.g. 2/8")
        }
        return (parts[0], parts[1])
    }

    /// Shard K of N: a contiguous slice, so the shards' CSVs (header in shard 1 only)
    /// concatenate to the whole sweep's.
    public static func shard<T>(_ items: [T], k: Int, n: Int) -> ArraySlice<T> {
        items[(items.count * (k - 1) / n)..<(items.count * k / n)]
    }
}
