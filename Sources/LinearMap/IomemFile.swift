import Foundation

/// A layout from a copy of /proc/iomem (request_standard_resources, arch/arm64/kernel/setup.c,
/// torvalds/linux 010e85f9e47c): each memblock region is a top-level "System RAM" resource
/// ("reserved" when NOMAP, which map_mem leaves unmapped), with "Kernel code"
/// [_text, __init_begin) and "Kernel data" [_sdata, _end) inside it. The banks are the
/// System RAM ranges, touching ones merged (map_mem runs on memblock before NUMA splits the
/// resources); the kernel image is Kernel code, and __init_end (= _sdata on arm64) is where
/// Kernel data starts. Without those lines they take `MachineLayout.init`'s defaults; no
/// kfence pool is named (an imported map shows its own).
extension MachineLayout {
    public static func load(iomem path: String) throws(LayoutError) -> MachineLayout {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LayoutError("--iomem: cannot read '\(path)' as UTF-8 text")
        }
        return try parse(iomem: text, file: path, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    public static func parse(iomem text: String, file: String, name: String) throws(LayoutError) -> MachineLayout {
        var banks: [PhysRange] = [], code: PhysRange?, dataStart: UInt64?
        for (i, line) in InputText.lines(of: text).enumerated() where !line.allSatisfy(\.isWhitespace) {
            func fail(_ message: String) -> LayoutError { LayoutError("--iomem: '\(file)': line \(i + 1): \(message)") }
            let body = line.drop { $0 == " " }
            let parts = body.split(separator: " : ", maxSplits: 1)
            let bounds = parts[0].split(separator: "-")
            guard parts.count == 2, bounds.count == 2, let start = InputText.hex(bounds[0]), let last = InputText.hex(bounds[1]),
                  last >= start, last < .max else {
                throw fail("not an /proc/iomem line (START-END : NAME, hexadecimal, END inclusive)")
            }
            let range = PhysRange(start: start, size: last - start + 1)
            switch (body.count == line.count, parts[1]) {
            case (true, "System RAM"):
                guard last != 0 else { throw fail("System RAM at address 0: /proc/iomem read without root shows no addresses") }
                banks.append(range)
            case (false, "Kernel code"): code = range
            case (false, "Kernel data"): dataStart = start
            default: break
            }
        }
        banks.sort { $0.start < $1.start }
        var merged: [PhysRange] = []
        for bank in banks {
            if let previous = merged.last, previous.end == bank.start {
                merged[merged.count - 1] = PhysRange(start: previous.start, size: bank.end - previous.start)
            } else {
                merged.append(bank)
            }
        }
        guard !merged.isEmpty else { throw LayoutError("--iomem: '\(file)': no top-level System RAM line") }
        do { return try MachineLayout(name: name, banks: merged, kernelImage: code, initEnd: dataStart) } catch {
            throw LayoutError("--iomem: '\(file)': \(error.description)")
        }
    }
}
