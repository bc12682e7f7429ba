import Foundation

/// Sizes that come from input (a spec, a file header, a checkpoint) are hostile: their
/// products are taken with overflow checks where they enter, and every allocation they
/// drive asks here first, so that "1e12 output features" is an error naming the bytes,
/// not a trap in `malloc`.
public enum MemoryBudget {
    /// Bytes this process may allocate: the machine's physical memory, or the address-space
    /// limit (`ulimit -v`) when that is lower.
    public static let availableBytes: Int = {
        var bytes = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int.max) {
            bytes = Swift.min(bytes, Int(clamping: limit.rlim_cur))
        }
        return bytes
    }()

    /// The number of elements of `shape`, or nil when a size is negative or the product overflows `Int`.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// `a * b`, or nil on overflow.
    public static func product(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : result
    }

    /// `a + b`, or nil on overflow.
    public static func sum(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }

    /// The bytes of `shape` in `dtype` as a Double, exact enough to name in a message
    /// even when they overflow `Int`.
    public static func bytes(_ shape: [Int], _ dtype: DType) -> Double {
        shape.reduce(Double(dtype.itemSize)) { $0 * Double(Swift.max($1, 0)) }
    }

    /// Throws `TensorError.outOfMemory` unless a `dtype` tensor of `shape` can be allocated:
    /// sizes non-negative, the element and byte counts within `Int`, the bytes within memory.
    /// `what` names the tensor in the message (`zeros`, `parameters`).
    public static func check(_ shape: [Int], _ dtype: DType, what: String) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError.invalidArgument(op: what, message: "trying to create tensor with negative dimension \(bad): \(shape)")
        }
        try check(bytes: bytes(shape, dtype), what: what)
    }

    /// Throws `TensorError.outOfMemory` when `bytes` exceed what this process may allocate
    /// (`availableBytes`, or the tighter limit of an enclosing `withLimit`).
    public static func check(bytes: Double, what: String) throws {
        let limit = currentLimit
        guard bytes <= Double(limit) else {
            throw TensorError.outOfMemory(what: what, bytes: bytes, available: limit)
        }
    }

    nonisolated(unsafe) private static var limits: [Int] = []
    private static let limitsLock = NSLock()

    private static var currentLimit: Int {
        limitsLock.lock()
        defer { limitsLock.unlock() }
        return limits.last ?? availableBytes
    }

    /// Runs `body` with single allocations bounded by `bytes`: a model builder allows each
    /// parameter a quarter of memory, since training also holds its gradient and two
    /// optimizer buffers, and refusing early spares filling gigabytes with random numbers.
    public static func withLimit<R>(_ bytes: Int, _ body: () throws -> R) rethrows -> R {
        limitsLock.lock()
        limits.append(Swift.min(bytes, limits.last ?? availableBytes))
        limitsLock.unlock()
        defer {
            limitsLock.lock()
            limits.removeLast()
            limitsLock.unlock()
        }
        return try body()
    }

    /// `52 TB`, `1.5 GB`, `512 bytes`: decimal units, as disks and `df -H` count them.
    public static func describe(bytes: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var value = bytes
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == units.count - 1, value >= 1000 { return String(format: "%.1e bytes", bytes) }
        if unit == 0 { return "\(Int(value)) bytes" }
        return String(format: value < 10 ? "%.1f " : "%.0f ", value) + units[unit]
    }

    /// `24 GiB`: binary units, as memory is sized.
    public static func describeMemory(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 10 ? String(format: "%.0f GiB", gib) : String(format: "%.1f GiB", gib)
    }
}
