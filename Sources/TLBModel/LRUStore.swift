/// The slots of one set-associative structure (a TLB level or the walk cache) with
/// true LRU in every set. Keys are nonzero (0 marks a free slot); `values` carries a
/// payload per slot. Storage is raw and owned by the `SimulatedTLB` that frees it.
///
/// Small sets keep a use stamp per slot and scan for the victim. A fully associative
/// structure with many ways keeps a recency list instead (head most recent; free
/// slots at the tail) and finds keys through a hash index.
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
    /// Fully associative structures with many ways (`indexed`) find a key through an
    /// open-addressing index (linear probing, slot numbers, -1 free) instead of a scan.
    /// Without `indexed`, the index and the list below are one unused element each.
    let indexed: Bool
    let index: UnsafeMutablePointer<Int32>
    let indexShift: UInt64
    let indexMask: Int
    /// Recency list of the indexed kind: neighbours per slot, -1 at the ends.
    let newer: UnsafeMutablePointer<Int32>
    let older: UnsafeMutablePointer<Int32>
    var head: Int32 = 0
    var tail: Int32 = 0

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
        indexed = sets == 1 && ways > Self.scanLimit
        // Sparse (at most 1/16 full): probe runs are almost always one slot long, so
        // the probe and `unindex` loops end where the branch predictor expects.
        var bits = 0
        while indexed && 1 << bits < 16 * ways { bits += 1 }
        index = .allocate(capacity: 1 << bits)
        index.initialize(repeating: -1, count: 1 << bits)
        indexShift = UInt64(64 - bits)
        indexMask = (1 << bits) - 1
        let listed = indexed ? ways : 1
        newer = .allocate(capacity: listed)
        older = .allocate(capacity: listed)
        for slot in 0..<listed {
            newer[slot] = Int32(slot - 1)
            older[slot] = slot + 1 < listed ? Int32(slot + 1) : -1
        }
        tail = Int32(listed - 1)
    }

    func deallocate() {
        keys.deallocate()
        stamps.deallocate()
        values.deallocate()
        index.deallocate()
        newer.deallocate()
        older.deallocate()
    }

    var entries: Int { sets * ways }

    /// The set a key with tag `tag` lives in.
    @inline(__always) func set(of tag: UInt64) -> Int {
        sets == 1 ? 0 : Int(truncatingIfNeeded: setMask != 0 ? tag & setMask : tag % UInt64(sets))
    }

    /// The slot holding `key` (of tag `tag`), or -1. The set is worked out only where
    /// one is scanned.
    @inline(__always) func find(_ key: UInt64, tag: UInt64) -> Int {
        if indexed {
            var i = home(key)
            while true {
                let slot = Int(index[i])
                if slot < 0 || keys[slot] == key { return slot }
                i = (i &+ 1) & indexMask
            }
        }
        // Every way compared, the match kept by a select, not a branch: where in the set
        // a hit lies is random, and a mispredicted early exit costs more than the scan.
        // Wrapping arithmetic and a plain loop: no overflow or range checks per probe.
        var slot = set(of: tag) &* ways, found = -1
        let end = slot &+ ways
        while slot < end {
            found = keys[slot] == key ? slot : found
            slot &+= 1
        }
        return found
    }

    @inline(__always) mutating func touch(_ slot: Int) {
        if indexed {
            moveToHead(Int32(truncatingIfNeeded: slot))
        } else {
            stamps[slot] = clock
            clock &+= 1
        }
    }

    /// Puts `key` (of tag `tag`) in a free way of its set, else in place of the least
    /// recently used one. Returns the slot (its `values` entry is the caller's to set)
    /// and the key evicted (0 if none).
    @inline(__always) mutating func insert(_ key: UInt64, tag: UInt64) -> (slot: Int, evicted: UInt64) {
        if indexed {
            let victim = Int(tail)
            let evicted = keys[victim]
            if evicted != 0 { unindex(victim) }
            keys[victim] = key
            var i = home(key)
            while index[i] >= 0 { i = (i &+ 1) & indexMask }
            index[i] = tail
            // The tail to the head (with more than 16 ways they differ).
            let n = newer[victim]
            older[Int(n)] = -1
            tail = n
            newer[victim] = -1
            older[victim] = head
            newer[Int(head)] = Int32(truncatingIfNeeded: victim)
            head = Int32(truncatingIfNeeded: victim)
            return (victim, evicted)
        }
        let victim = stampVictim(set(of: tag))
        let evicted = keys[victim]
        keys[victim] = key
        stamps[victim] = clock
        clock &+= 1
        return (victim, evicted)
    }

    /// The first free way of `set`, else the one with the oldest stamp. A free way
    /// counts as stamp 0 (given-out stamps start at 1), and the minimum is kept by
    /// selects: which way is oldest is random, a branch on it mispredicts.
    @inline(__always) private func stampVictim(_ set: Int) -> Int {
        var slot = set &* ways, victim = slot, oldest = UInt64.max
        let end = slot &+ ways
        while slot < end {
            let stamp = keys[slot] == 0 ? 0 : stamps[slot]
            let older = stamp < oldest
            oldest = older ? stamp : oldest
            victim = older ? slot : victim
            slot &+= 1
        }
        return victim
    }

    mutating func remove(_ slot: Int) {
        guard keys[slot] != 0 else { return }
        if indexed {
            unindex(slot)
            moveToTail(Int32(slot))
        }
        keys[slot] = 0
    }

    @inline(__always) private mutating func moveToHead(_ slot: Int32) {
        guard slot != head else { return }
        // `unlink` knowing that a slot other than the head has a newer neighbour.
        let n = newer[Int(slot)], o = older[Int(slot)]
        older[Int(n)] = o
        if o >= 0 { newer[Int(o)] = n } else { tail = n }
        newer[Int(slot)] = -1
        older[Int(slot)] = head
        newer[Int(head)] = slot
        head = slot
    }

    private mutating func moveToTail(_ slot: Int32) {
        guard slot != tail else { return }
        unlink(slot)
        older[Int(slot)] = -1
        newer[Int(slot)] = tail
        older[Int(tail)] = slot
        tail = slot
    }

    /// Takes `slot` out of the list (it is not both head and tail: ways > 1).
    @inline(__always) private mutating func unlink(_ slot: Int32) {
        let n = newer[Int(slot)], o = older[Int(slot)]
        if n >= 0 { older[Int(n)] = o } else { head = o }
        if o >= 0 { newer[Int(o)] = n } else { tail = n }
    }

    mutating func removeAll() {
        keys.update(repeating: 0, count: entries)
        index.update(repeating: -1, count: indexMask + 1)
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) &>> indexShift)
    }

    /// Drops `slot` from the index, shifting later members of its probe run back so
    /// every key stays reachable from its home position.
    @inline(__always) private mutating func unindex(_ slot: Int) {
        var hole = home(keys[slot])
        while Int(index[hole]) != slot { hole = (hole &+ 1) & indexMask }
        var j = hole
        while true {
            j = (j &+ 1) & indexMask
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
