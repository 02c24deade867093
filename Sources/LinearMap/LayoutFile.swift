import Foundation

/// Layouts read from JSON:
/// `{"name": "box", "banks": [{"start": "0x80000000", "size": "2G"}],
///   "kernel": {"start": "0x80200000", "size": "0x1f10000"}, "stext": "0x80210000",
///   "init_end": "0x82b80000", "bss_stop": "0x83030000", "kfence": {...}}`.
/// Numbers may be JSON integers, hex strings or sizes with a K/M/G/T suffix; "kernel"
/// defaults to 2 MiB into the lowest bank, "stext" (the PA of _stext) to 64 KiB into the
/// kernel image, "init_end" and "bss_stop" (the PAs of __init_end and __bss_stop) as
/// `MachineLayout.init` says, and "kfence" to none. Any other key is refused,
/// so a misspelt one cannot be silently ignored.
extension MachineLayout {
    static let layoutKeys = ["name", "banks", "kernel", "stext", "init_end", "bss_stop", "kfence"]
    static let rangeKeys = ["start", "size"]

    public static func load(path: String) throws(LayoutError) -> MachineLayout {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LayoutError("--layout: cannot read '\(path)'")
        }
        let file = LayoutFile(path: path)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw file.error("not a JSON object with a \"banks\" array of {\"start\", \"size\"}")
        }
        try file.checkKeys(of: object, in: nil, accepted: layoutKeys)
        guard let bankList = object["banks"] as? [Any] else {
            throw file.error("needs a \"banks\" array of {\"start\", \"size\"}")
        }
        var banks: [PhysRange] = []
        for (i, bank) in bankList.enumerated() { banks.append(try file.range(bank, "banks[\(i)]")) }
        guard !banks.isEmpty else { throw file.error("has no banks") }
        let kernel = try object["kernel"].map { d throws(LayoutError) in try file.range(d, "kernel") }
        let pool = try object["kfence"].map { d throws(LayoutError) in try file.range(d, "kfence") }
        let stext = try object["stext"].map { v throws(LayoutError) in try file.address(v, "stext") }
        let initEnd = try object["init_end"].map { v throws(LayoutError) in try file.address(v, "init_end") }
        let bssStop = try object["bss_stop"].map { v throws(LayoutError) in try file.address(v, "bss_stop") }
        let name: String
        switch object["name"] {
        case nil: name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case let s as String: name = s
        default: throw file.error("\"name\" must be a string")
        }
        do { return try MachineLayout(name: name, banks: banks, kernelImage: kernel, stext: stext,
                                     initEnd: initEnd, bssStop: bssStop, kfencePool: pool) } catch {
            throw file.error(error.description)
        }
    }
}

/// One layout file being read: its errors name it.
private struct LayoutFile {
    let path: String

    func error(_ message: String) -> LayoutError { LayoutError("--layout: '\(path)': \(message)") }

    /// Refuses the first key (in sorted order) not in `accepted`.
    func checkKeys(of object: [String: Any], in key: String?, accepted: [String]) throws(LayoutError) {
        guard let unknown = object.keys.sorted().first(where: { !accepted.contains($0) }) else { return }
        throw error("unknown key \"\(unknown)\"\(key.map { " in \($0)" } ?? ""); accepted keys: \(accepted.joined(separator: ", "))")
    }

    /// A {"start", "size"} object.
    func range(_ value: Any, _ key: String) throws(LayoutError) -> PhysRange {
        guard let d = value as? [String: Any] else { throw error("\(key) must be an object {\"start\", \"size\"}") }
        try checkKeys(of: d, in: key, accepted: MachineLayout.rangeKeys)
        return PhysRange(start: try number(d, "start", key), size: try number(d, "size", key))
    }

    /// A bare number (an address).
    func address(_ value: Any, _ key: String) throws(LayoutError) -> UInt64 {
        guard let n = Self.number(value) else {
            throw error("\(key) \(Self.echo(value)) is not a JSON integer or \(ByteSize.form)")
        }
        return n
    }

    private func number(_ d: [String: Any], _ field: String, _ key: String) throws(LayoutError) -> UInt64 {
        guard let value = d[field] else { throw error("\(key) needs \"\(field)\"") }
        guard let n = Self.number(value) else {
            throw error("\(key).\(field) \(Self.echo(value)) is not a JSON integer or \(ByteSize.form)")
        }
        return n
    }

    /// nil unless a whole number below 2^64: a string `ByteSize` reads, or a JSON integer.
    /// A JSON fraction, a boolean or a huge number also arrives as an NSNumber, and its
    /// `int64Value` would truncate; only an integer's text reads back as a UInt64.
    private static func number(_ value: Any) -> UInt64? {
        switch value {
        case let s as String: ByteSize.parse(s)
        case let n as NSNumber: String(cString: n.objCType) == "c" ? nil : UInt64(n.stringValue)
        default: nil
        }
    }

    private static func echo(_ value: Any) -> String {
        switch value {
        case let s as String: "\"\(s)\""
        case let n as NSNumber: String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.stringValue
        default: "of the wrong type"
        }
    }
}
