import Foundation

/// Layouts read from JSON:
/// `{"name": "box", "banks": [{"start": "0x80000000", "size": "2G"}],
///   "kernel": {"start": "0x80200000", "size": "0x1f10000"}, "kfence": {...}}`.
/// Numbers may be JSON integers, hex strings or sizes with a K/M/G/T suffix; "kernel"
/// defaults to 2 MiB into the lowest bank and "kfence" to none.
extension MachineLayout {
    public static func load(path: String) throws(LayoutError) -> MachineLayout {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LayoutError("--layout: cannot read '\(path)'")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let bankList = object["banks"] as? [[String: Any]] else {
            throw LayoutError("--layout: '\(path)' is not a JSON object with a \"banks\" array of {\"start\", \"size\"}")
        }
        var banks: [PhysRange] = []
        for bank in bankList { banks.append(try range(bank, "banks", path)) }
        guard !banks.isEmpty else { throw LayoutError("--layout: '\(path)' has no banks") }
        let lowest = banks.min { $0.start < $1.start }!
        let kernel = try (object["kernel"] as? [String: Any]).map { d throws(LayoutError) in try range(d, "kernel", path) }
            ?? PhysRange(start: lowest.start + (2 << 20), size: defaultKernelImageSize)
        let pool = try (object["kfence"] as? [String: Any]).map { d throws(LayoutError) in try range(d, "kfence", path) }
        let name = object["name"] as? String ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        do { return try MachineLayout(name: name, banks: banks, kernelImage: kernel, kfencePool: pool) } catch {
            throw LayoutError("--layout: \(error.description)")
        }
    }

    private static func range(_ d: [String: Any], _ key: String, _ path: String) throws(LayoutError) -> PhysRange {
        guard let start = number(d["start"]), let size = number(d["size"]) else {
            throw LayoutError("--layout: '\(path)': each \"\(key)\" entry needs \"start\" and \"size\" (integer, \"0x…\" or \"2G\")")
        }
        return PhysRange(start: start, size: size)
    }

    private static func number(_ value: Any?) -> UInt64? {
        switch value {
        case let s as String: ByteSize.parse(s)
        case let n as NSNumber: n.int64Value >= 0 ? UInt64(n.int64Value) : nil
        default: nil
        }
    }
}
