import Foundation

/// A text output that never destroys what it replaces (bench's --csv and --series, each
/// chart of bench plot): written to `FILE.partial` beside the target and renamed over it
/// only once complete, so a failure or a kill leaves an earlier FILE untouched.
/// FILE.partial is created by the first write, so a run that dies before it has written
/// anything (a trap, a kill) leaves nothing behind. Targets that cannot be renamed over
/// (devices, FIFOs, anything under /dev or /proc such as /dev/stdout) are written in
/// place. Every write, sync and close is checked; errors are one line naming `option`.
public final class OutputFile {
    /// The path as the user gave it.
    public let path: String
    public let option: String
    /// The file renamed over on commit; nil when written in place.
    public let replacing: String?
    /// The file being written: `replacing` + ".partial", or the target itself.
    public let writing: String
    private var descriptor: Int32 = -1
    private var finished = false
    /// FILE.partial was created by this output (so it is ours to keep or remove).
    private var created = false

    public init(path: String, option: String) throws(OutputError) {
        self.path = path
        self.option = option
        guard !path.isEmpty else { throw OutputError("\(option): needs a file name") }
        let (target, inPlace) = try Self.destination(path, option: option)
        replacing = inPlace ? nil : target
        writing = inPlace ? target : target + ".partial"
        if inPlace { try openTarget() } else if access(writing, F_OK) == 0 { throw leftover() }
    }

    /// Opens what is written: the target in place, or a new FILE.partial.
    private func openTarget() throws(OutputError) {
        descriptor = replacing == nil ? open(writing, O_WRONLY | O_APPEND | O_CLOEXEC)
                                      : open(writing, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            guard errno == EEXIST else { throw Self.cannot("write", path, option: option) }
            throw leftover()
        }
        created = replacing != nil
    }

    private func leftover() -> OutputError {
        OutputError("\(option): '\(writing)' exists, kept from a run that did not finish; move or remove it")
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func write(_ text: String) throws(OutputError) {
        if descriptor < 0 { try openTarget() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.cannot("write", path, option: option) }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Makes the text the target's: synced, closed and renamed over it.
    public func commit() throws(OutputError) {
        if descriptor < 0 { try openTarget() }
        if replacing != nil, fsync(descriptor) != 0 { throw Self.cannot("write", path, option: option) }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw Self.cannot("write", path, option: option) }
        if let replacing, rename(writing, replacing) != 0 { throw Self.cannot("replace", replacing, option: option) }
        finished = true
    }

    /// Stops writing without committing. Returns the partial file's path when it is kept;
    /// an unwanted partial file is removed, a file written in place stays as it is.
    @discardableResult
    public func abandon(keepingPartial keep: Bool) -> String? {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        guard !finished, created else { return nil }
        finished = true
        if keep { return writing }
        unlink(writing)
        return nil
    }

    /// Writes `text` to `path` whole or not at all (see the type).
    public static func write(_ text: String, to path: String, option: String) throws(OutputError) {
        let file = try OutputFile(path: path, option: option)
        do {
            try file.write(text)
            try file.commit()
        } catch {
            file.abandon(keepingPartial: false)
            throw error
        }
    }

    /// Refuses an output that is one of the inputs (by device and inode when both are
    /// files, so `./a.csv` and `a.csv` match), before anything is opened.
    public static func refuseOverlap(output: String, inputs: [(option: String, path: String?)], option: String,
                                     outputs: [(option: String, path: String?)] = []) throws(OutputError) {
        let target = FileIdentity(output)
        for case let (inputOption, path?) in inputs where FileIdentity(path) == target {
            throw OutputError("\(option): '\(output)' is also an input (\(inputOption)); choose another file")
        }
        for case let (otherOption, path?) in outputs {
            if FileIdentity(path) == target {
                throw OutputError("\(option): '\(output)' is also the \(otherOption) file; choose another file")
            }
            // Each is written as FILE.partial first: neither may be the other's.
            if FileIdentity(path + ".partial") == target || FileIdentity(output + ".partial") == FileIdentity(path) {
                throw OutputError("\(option): '\(output)' and the \(otherOption) file '\(path)' would share a working file (FILE.partial); choose another name")
            }
        }
    }

    /// The file to write and whether it is written in place.
    private static func destination(_ path: String, option: String) throws(OutputError) -> (String, Bool) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == ENOENT else { throw cannot("write", path, option: option) }
            let folder = (path as NSString).deletingLastPathComponent
            guard isFolder(folder.isEmpty ? "." : folder) else { throw OutputError("\(option): folder '\(folder)' does not exist") }
            return (path, isSystemPath(absolute(path)))
        }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw OutputError("\(option): '\(path)' is a folder; name a file") }
        // Through symlinks, so a link to the file stays a link.
        let real = realPath(path) ?? path
        return (real, info.st_mode & S_IFMT != S_IFREG || isSystemPath(absolute(path)) || isSystemPath(real))
    }

    /// `code` defaults to errno as the call site reads it, before anything can change it.
    static func cannot(_ verb: String, _ path: String, option: String, code: Int32 = errno) -> OutputError {
        OutputError("\(option): cannot \(verb) '\(path)' (\(String(cString: strerror(code))))")
    }

    private static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// /dev/stdout and the like resolve to the file behind a descriptor: never rename over it.
    private static func isSystemPath(_ path: String) -> Bool { path.hasPrefix("/dev/") || path.hasPrefix("/proc/") }

    private static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Which file a path names: device and inode for a regular file, else the absolute path.
private enum FileIdentity: Equatable {
    case inode(dev_t, ino_t)
    case path(String)

    init(_ path: String) {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            self = .inode(info.st_dev, info.st_ino)
        } else {
            self = .path(URL(fileURLWithPath: path).standardizedFileURL.path)
        }
    }
}

/// An output that cannot be opened, written or replaced: one line naming the option.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
