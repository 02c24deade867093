import LinearMap

/// A rejected TLB-model parameter: one line (control characters of echoed input escaped)
/// naming the command-line option at fault.
public struct TLBModelError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = InputText.escaped(description) }
}
