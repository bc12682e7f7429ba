import Foundation

/// Reference-counted raw memory shared by every view of a tensor.
///
/// Buffers come from `StorageAllocator`, which keeps freed blocks by size so
/// that a training loop reuses the same memory every step instead of asking
/// the system for fresh pages.
public final class Storage: @unchecked Sendable {
    public let data: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Bumped by every in-place write, so that autograd can tell when a
    /// tensor it saved for backward has since been overwritten (PyTorch's version counter).
    public internal(set) var version = 0

    init(byteCount: Int) {
        self.byteCount = byteCount
        self.data = StorageAllocator.shared.allocate(byteCount)
    }

    deinit { StorageAllocator.shared.release(data, byteCount) }

    @inline(__always)
    func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> { data.assumingMemoryBound(to: T.self) }
}

/// A caching allocator: freed blocks are kept per exact size (rounded to 64
/// bytes) up to a total budget, and handed out again before `malloc` is asked.
final class StorageAllocator: @unchecked Sendable {
    static let shared = StorageAllocator()

    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0
    private let budget = 1 << 30
    private let lock = NSLock()

    private static func rounded(_ n: Int) -> Int { max(64, (n + 63) & ~63) }

    func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Self.rounded(byteCount)
        lock.lock()
        // Popped in place: a copy of the list out of the dictionary would copy its storage each time.
        if let p = free[size]?.popLast() {
            cachedBytes -= size
            lock.unlock()
            return p
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    func release(_ p: UnsafeMutableRawPointer, _ byteCount: Int) {
        let size = Self.rounded(byteCount)
        lock.lock()
        if cachedBytes + size <= budget {
            free[size, default: []].append(p)
            cachedBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        p.deallocate()
    }

    /// Returns every cached block to the system.
    func emptyCache() {
        lock.lock()
        for (_, list) in free { for p in list { p.deallocate() } }
        free = [:]
        cachedBytes = 0
        lock.unlock()
    }
}
