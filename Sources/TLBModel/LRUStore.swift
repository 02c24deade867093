/// The slots of one set-associative structure (a TLB level or the walk cache) with
/// true LRU in every set. Keys are nonzero (0 marks a free slot); `values` carries a
/// payload per slot. Storage is raw and owned by the `SimulatedTLB` that frees it.
struct LRUStore {
    let sets: Int
    let ways: Int
    /// `sets - 1` when `sets` is a power of two, else 0 (then `%` picks the set).
    let setMask: UInt64
    let keys: UnsafeMutablePointer<UInt64>
    let stamps: UnsafeMutablePointer<UInt64>
    let values: UnsafeMutablePointer<UInt64>
    /// Larger than any stamp given out so far.
    var clock: UInt64 = 1
    /// Fully associative structures with many ways find a key through an
    /// open-addressing index (linear probing, slot numbers, -1 free) instead of a scan.
    let index: UnsafeMutablePointer<Int32>?
    let indexShift: UInt64
    let indexMask: Int

    static let scanLimit = 16

    init(entries: Int, ways: Int) {
        self.ways = ways
        sets = entries / ways
        setMask = sets & (sets - 1) == 0 ? UInt64(sets - 1) : 0
        keys = .allocate(capacity: entries)
        keys.initialize(repeating: 0, count: entries)
        stamps = .allocate(capacity: entries)
        stamps.initialize(repeating: 0, count: entries)
        values = .allocate(capacity: entries)
        values.initialize(repeating: 0, count: entries)
        if sets == 1 && ways > Self.scanLimit {
            var bits = 3
            while 1 << bits < 4 * ways { bits += 1 }
            index = .allocate(capacity: 1 << bits)
            index!.initialize(repeating: -1, count: 1 << bits)
            indexShift = UInt64(64 - bits)
            indexMask = (1 << bits) - 1
        } else {
            index = nil
            indexShift = 0
            indexMask = 0
        }
    }

    func deallocate() {
        keys.deallocate()
        stamps.deallocate()
        values.deallocate()
        index?.deallocate()
    }

    var entries: Int { sets * ways }

    @inline(__always) func set(of tag: UInt64) -> Int {
        sets == 1 ? 0 : Int(truncatingIfNeeded: setMask != 0 ? tag & setMask : tag % UInt64(sets))
    }

    /// The slot holding `key` in set `set`, or -1.
    @inline(__always) func find(_ key: UInt64, set: Int) -> Int {
        if let index {
            var i = home(key)
            while true {
                let slot = Int(index[i])
                if slot < 0 || keys[slot] == key { return slot }
                i = (i + 1) & indexMask
            }
        }
        let first = set * ways
        for slot in first..<(first + ways) where keys[slot] == key { return slot }
        return -1
    }

    @inline(__always) mutating func touch(_ slot: Int) {
        stamps[slot] = clock
        clock &+= 1
    }

    /// Puts `key` in a free way of `set`, else in place of the least recently used one.
    /// Returns the slot and the key evicted (0 if none).
    mutating func insert(_ key: UInt64, set: Int, value: UInt64) -> (slot: Int, evicted: UInt64) {
        let first = set * ways
        var victim = first
        for slot in first..<(first + ways) {
            if keys[slot] == 0 { victim = slot; break }
            if stamps[slot] < stamps[victim] { victim = slot }
        }
        let evicted = keys[victim]
        if evicted != 0 { unindex(victim) }
        keys[victim] = key
        values[victim] = value
        if let index {
            var i = home(key)
            while index[i] >= 0 { i = (i + 1) & indexMask }
            index[i] = Int32(victim)
        }
        touch(victim)
        return (victim, evicted)
    }

    mutating func remove(_ slot: Int) {
        guard keys[slot] != 0 else { return }
        unindex(slot)
        keys[slot] = 0
    }

    mutating func removeAll() {
        keys.update(repeating: 0, count: entries)
        if let index { index.update(repeating: -1, count: indexMask + 1) }
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> indexShift)
    }

    /// Drops `slot` from the index, shifting later members of its probe run back so
    /// every key stays reachable from its home position.
    private func unindex(_ slot: Int) {
        guard let index else { return }
        var hole = home(keys[slot])
        while Int(index[hole]) != slot { hole = (hole + 1) & indexMask }
        var j = hole
        while true {
            j = (j + 1) & indexMask
            let s = Int(index[j])
            if s < 0 { break }
            let h = home(keys[s])
            // Move s into the hole unless its home lies cyclically in (hole, j].
            let stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !stays {
                index[hole] = index[j]
                hole = j
            }
        }
        index[hole] = -1
    }
}
