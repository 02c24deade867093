import Foundation
import LinearMap
import PageTableModel

/// The data addresses of a perf capture that a replay does not simulate: only linear-map
/// addresses have their translation in the simulated tables (the captured machine's
/// image, vmalloc and user mappings are not known). Counted so a user can set the mix
/// shares (`--image-share`, `--vmalloc-share`, `--user-share`) from the capture.
public struct PerfCensus: Equatable, Sendable, Codable {
    /// Linear-map addresses, replayed.
    public var linear = 0
    /// TTBR0 addresses (bit 55 clear), a sample without an address (0) included.
    public var user = 0
    /// Kernel-half addresses outside the linear map: image, modules, vmalloc, vmemmap, fixmap.
    public var kernelOther = 0
    public init() {}
}

extension ReplayTrace {
    /// `--trace perf:FILE`: the data addresses of a perf text dump, in order, either
    /// - `perf script -F addr`: one address per line, hexadecimal without "0x", padded to
    ///   16 columns with spaces (perf_sample__fprintf_addr prints it with "%16" PRIx64;
    ///   tools/perf/builtin-script.c), or
    /// - `perf mem report -D` (dump_raw_samples, tools/perf/builtin-mem.c at torvalds/linux
    ///   003265bb6f02): a header "# PID, TID, IP, ADDR, …", then per sample PID TID IP ADDR
    ///   and more fields. Without `-x` the fields are space-separated and ADDR is printed by
    ///   "0x016%" PRIx64 — the literal text "0x016" before the unpadded hex digits; with
    ///   `-x SEP` they are separated by SEP and ADDR is "0x" and the digits.
    /// Lines starting with "#" and blank lines are skipped. A top-byte tag (TBI) is dropped
    /// from kernel addresses (bit 55 set); linear-map addresses are replayed, the others
    /// only counted (`census`).
    public init(perfFile path: String) throws(TLBModelError) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TLBModelError("--trace: perf:\(path) cannot be read as UTF-8 text")
        }
        let lines = InputText.lines(of: text)
        let memDump = lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("# PID, TID, IP, ADDR") }
        var vas: [UInt64] = [], census = PerfCensus()
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let va = memDump ? Self.memDumpAddress(line) : InputText.hex(line) else {
                let expected = memDump
                    ? "a perf mem report -D sample line (PID TID IP ADDR ..., ADDR as 0x016<hex> or, with -x, 0x<hex>)"
                    : "one hexadecimal data address per line, as perf script -F addr prints"
                throw TLBModelError("--trace: perf:\(path):\(n + 1): '\(line)' is not \(expected)")
            }
            if va & (1 << 55) == 0 {
                census.user += 1
                continue
            }
            let untagged = va | 0xFF00_0000_0000_0000
            guard untagged >= LinearMapRange.start && untagged < LinearMapRange.end else {
                census.kernelOther += 1
                continue
            }
            census.linear += 1
            vas.append(untagged)
        }
        guard !vas.isEmpty else {
            throw TLBModelError("--trace: perf:\(path) holds no linear-map data address (\(census.user) user, \(census.kernelOther) other kernel addresses)")
        }
        try self.init(addresses: vas, source: "perf:" + path)
        self.census = census
    }

    /// The ADDR field of a `perf mem report -D` sample line, nil when the line is not one.
    static func memDumpAddress(_ line: String) -> UInt64? {
        // With -x SEP the PID (a decimal, maybe -1) is followed by SEP; else by spaces.
        let body = line.hasPrefix("-") ? line.dropFirst() : line[...]
        let pid = body.prefix { $0.isASCII && $0.isNumber }
        guard !pid.isEmpty, let separator = body.dropFirst(pid.count).first else { return nil }
        let fields = separator.isWhitespace
            ? line.split(whereSeparator: \.isWhitespace)
            : line.split(separator: separator, omittingEmptySubsequences: false)
        guard fields.count >= 5, Int(fields[0]) != nil, Int(fields[1]) != nil, InputText.hex(fields[2]) != nil else { return nil }
        let addr = fields[3]
        if separator.isWhitespace {
            // A fixed printf ("0x%016") would print 0x0000… or 0xffff…, never 0x016….
            return addr.hasPrefix("0x016") ? InputText.hex(addr.dropFirst(5)) : InputText.hex(addr)
        }
        return addr.hasPrefix("0x") ? InputText.hex(addr) : nil
    }
}
