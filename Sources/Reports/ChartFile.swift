import Foundation

/// Writes `text` to `path` through a temporary file in the same folder, renamed over it: a
/// reader, or a run that fails half-way, never sees a partial chart in place of the old one.
/// Creates the folder and its parents first.
public func writeReplacing(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        try Data(text.utf8).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
