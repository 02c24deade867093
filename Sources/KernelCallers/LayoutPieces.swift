import LinearMap

extension MachineLayout {
    /// The banks less the kernel image and any early kfence pool, in address order: the
    /// memory map_mem maps with the linear map's own flags.
    var ordinaryPieces: [PhysRange] {
        let holes = ([kernelImage] + (kfencePool.map { [$0] } ?? [])).sorted { $0.start < $1.start }
        var pieces: [PhysRange] = []
        for bank in banks {
            var cursor = bank.start
            for hole in holes where hole.overlaps(bank) {
                if hole.start > cursor { pieces.append(PhysRange(start: cursor, size: hole.start - cursor)) }
                cursor = max(cursor, hole.end)
            }
            if cursor < bank.end { pieces.append(PhysRange(start: cursor, size: bank.end - cursor)) }
        }
        return pieces
    }
}
