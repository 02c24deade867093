/// A virtual address in the kernel (TTBR1) half of the 48-bit space, [0xffff_0000_0000_0000,
/// 2^64): the only addresses the simulated tables translate. A descent indexes VA bits 47:12
/// alone, so any other address would alias one in this half; having a `VirtualAddress` is
/// the proof that it was checked.
public struct VirtualAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bits: UInt64

    /// The lowest kernel-half address: bits 63:48 all set.
    public static let kernelHalfStart: UInt64 = 0xffff_0000_0000_0000

    /// nil outside the kernel half.
    @inlinable public init?(_ bits: UInt64) {
        guard bits >= Self.kernelHalfStart else { return nil }
        self.bits = bits
    }

    public static func < (a: VirtualAddress, b: VirtualAddress) -> Bool { a.bits < b.bits }
    public var description: String { "0x" + String(bits, radix: 16) }
}

extension PageTable {
    /// EINVAL unless [start, end) lies in the kernel half: a lower address would alias a
    /// kernel one, and an end below `start` has wrapped past 2^64. Every descent over a
    /// caller's range checks this once, before it indexes a table.
    @inlinable public func checkRange(from start: UInt64, to end: UInt64) throws(KernelError) {
        guard VirtualAddress(start) != nil, end >= start else { throw .einval }
    }
}
