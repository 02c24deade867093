import PageTableModel

/// What a mosaic split did.
public struct MosaicSplit: Equatable, Sendable {
    /// 2 MiB chunks of the range mapped by 2 MiB-or-larger leaves before the split.
    public var chunks = 0
    /// Chunks handed to the split operation.
    public var splitChunks = 0
    public var splitBytes: UInt64 { UInt64(splitChunks) << 21 }
}

extension PageTable {
    /// Splits `fraction` (0…1, rounded to whole chunks) of the space that 2 MiB-or-larger
    /// leaves map in [start, end) to PTEs: a seeded choice of 2 MiB chunks, every subset
    /// of that size equally likely, each passed to `split` as [start, start + 2 MiB) in
    /// VA order. `split` does the work (a walker, or a test's helper calls).
    @discardableResult
    public func mosaicSplit(fraction: Double, seed: UInt64,
                            from start: UInt64 = LinearMapRange.start, to end: UInt64 = LinearMapRange.end,
                            split: (_ start: UInt64, _ end: UInt64) throws -> Void) throws -> MosaicSplit {
        guard fraction >= 0, fraction <= 1 else {
            throw TLBModelError("--mosaic: the split fraction must be within 0…1 (got \(fraction))")
        }
        let chunk = geometry.size(.pmd)
        let large = blockRanges(from: start, to: end)
        var result = MosaicSplit()
        result.chunks = chunkCount(large)
        var wanted = Int((fraction * Double(result.chunks)).rounded())
        var remaining = result.chunks
        var random = TraceRandom(seed: seed)
        // Selection sampling: keep each chunk with probability wanted / remaining.
        for range in large {
            var va = range.va
            while va < range.end && wanted > 0 {
                if random.below(UInt64(remaining)) < UInt64(wanted) {
                    try split(va, va + chunk)
                    result.splitChunks += 1
                    wanted -= 1
                }
                remaining -= 1
                va += chunk
            }
        }
        return result
    }

    /// The 2 MiB-aligned ranges of [start, end) that 2 MiB-or-larger leaves map.
    func blockRanges(from start: UInt64, to end: UInt64) -> [(va: UInt64, end: UInt64)] {
        let chunk = geometry.size(.pmd)
        var large: [(va: UInt64, end: UInt64)] = []
        for leaf in leaves(from: start, to: end) where leaf.size >= chunk {
            let a = alignUp(max(leaf.va, start), chunk), b = alignDown(min(leaf.end, end), chunk)
            if a < b { large.append((a, b)) }
        }
        return large
    }

    /// How many 2 MiB chunks of [start, end) 2 MiB-or-larger leaves map now.
    public func blockChunks(from start: UInt64, to end: UInt64) -> Int {
        chunkCount(blockRanges(from: start, to: end))
    }

    private func chunkCount(_ ranges: [(va: UInt64, end: UInt64)]) -> Int {
        let chunk = geometry.size(.pmd)
        return ranges.reduce(0) { $0 + Int(($1.end - $1.va) / chunk) }
    }
}
