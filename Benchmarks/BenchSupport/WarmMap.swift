import LinearMap
import PageTableModel

/// A block map in one arena that keeps freed pages resident, reset to its block form
/// before each measured run so the run's table allocations are warm. Built on first use.
public final class WarmMap: @unchecked Sendable {
    private let layout: MachineLayout
    private var state: (pt: PageTable, snapshot: MapSnapshot, bytes: Int)?

    public init(_ layout: MachineLayout) { self.layout = layout }

    public var pt: PageTable { state!.pt }

    /// Restores the block map (freeing what the last run allocated into the arena). The
    /// first call also runs `workload` once, unmeasured, so the arena holds its pages.
    /// Returns the table bytes `workload` allocates.
    @discardableResult
    public func reset(warmingWith workload: (PageTable) -> Void) -> Int {
        if state == nil {
            let pt = try! PageTable()
            pt.allocator.keepFreedPagesResident()
            try! LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
            let snapshot = MapSnapshot(pt)
            let before = pt.allocator.tableBytes
            workload(pt)
            state = (pt, snapshot, pt.allocator.tableBytes - before)
        }
        state!.snapshot.restore(state!.pt)
        return state!.bytes
    }
}
