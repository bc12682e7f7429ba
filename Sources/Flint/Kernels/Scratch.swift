/// Runs `body` with uninitialised scratch memory for `count` elements of `T`
/// from the caching allocator, so that a kernel called every training step
/// reuses the same block instead of faulting in fresh pages each time. The
/// pointer is valid only inside `body`.
@inline(__always)
func withScratch<T, R>(_: T.Type, count: Int, _ body: (UnsafeMutablePointer<T>) throws -> R) rethrows -> R {
    let bytes = Swift.max(count, 1) * MemoryLayout<T>.stride
    let raw = StorageAllocator.shared.allocate(bytes)
    defer { StorageAllocator.shared.release(raw, bytes) }
    return try body(raw.bindMemory(to: T.self, capacity: Swift.max(count, 1)))
}
