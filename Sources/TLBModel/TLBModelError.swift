/// A rejected TLB-model parameter: one line naming the command-line option at fault.
public struct TLBModelError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
