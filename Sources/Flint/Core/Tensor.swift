import Foundation

/// An n-dimensional array: a `Layout` over shared `Storage`, with a runtime
/// `DType` and an optional place in the autograd graph.
///
/// Like `torch.Tensor`, a `Tensor` is a reference. Views share storage.
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    public let layout: Layout
    public let dtype: DType

    /// The op that made this tensor, when it was made with grad enabled from
    /// inputs that require grad. Nil for leaves.
    public internal(set) var gradFn: GradNode?
    private var _requiresGrad = false
    /// Accumulated gradient after `backward()`, for leaves that require grad.
    public var grad: Tensor?

    init(storage: Storage, layout: Layout, dtype: DType) {
        self.storage = storage
        self.layout = layout
        self.dtype = dtype
    }

    /// Uninitialised contiguous tensor; only kernels that write every element use it.
    init(empty shape: [Int], dtype: DType) {
        self.layout = Layout(contiguous: shape)
        self.dtype = dtype
        self.storage = Storage(byteCount: Swift.max(layout.count, 1) * dtype.itemSize)
    }

    /// Uninitialised tensor for an elementwise result of `like`: with the same
    /// strides when `like` is dense (so a transposed input gives a transposed
    /// result, as PyTorch keeps memory formats), else contiguous.
    init(emptyLike like: Layout, dtype: DType) {
        if like.isDense && !like.isContiguous {
            self.layout = Layout(shape: like.shape, strides: like.strides, offset: 0)
        } else {
            self.layout = Layout(contiguous: like.shape)
        }
        self.dtype = dtype
        self.storage = Storage(byteCount: Swift.max(layout.count, 1) * dtype.itemSize)
    }

    // MARK: Shape

    public var shape: [Int] { layout.shape }
    public var strides: [Int] { layout.strides }
    public var rank: Int { layout.rank }
    public var count: Int { layout.count }
    public var isContiguous: Bool { layout.isContiguous }

    /// `size(dim)` with negative dims counted from the end.
    public func size(_ dim: Int) throws -> Int { shape[try normalizeDim(dim, rank: rank, op: "size", shape: shape)] }

    // MARK: Autograd flags

    /// Whether gradients flow to this tensor. Settable on leaves only, as in PyTorch.
    public var requiresGrad: Bool {
        get { _requiresGrad }
        set { _requiresGrad = newValue }
    }

    public var isLeaf: Bool { gradFn == nil }

    /// Same data, cut from the graph.
    public func detach() -> Tensor { Tensor(storage: storage, layout: layout, dtype: dtype) }

    /// Sets `requiresGrad` and returns self, for chaining: `Tensor.randn([3]).requiringGrad()`.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    // MARK: Raw access

    @inline(__always)
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.typed(T.self) + layout.offset
    }

    /// Calls `body` with the elements in row-major order as raw bytes,
    /// copying only when the tensor is not contiguous.
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let t = contiguous()
        // Keep the copy alive until `body` is done with its memory: a released
        // block goes back to the caching allocator and another thread may reuse it.
        return try withExtendedLifetime(t) {
            let p = UnsafeRawPointer(t.storage.data + t.layout.offset * dtype.itemSize)
            return try body(UnsafeRawBufferPointer(start: p, count: count * dtype.itemSize))
        }
    }

    /// A tensor holding a copy of `bytes`, read as `count(shape)` elements of `dtype`.
    public static func fromBytes(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = Tensor(empty: try checkedShape(shape, op: "fromBytes", dtype: dtype), dtype: dtype)
        let need = t.count * dtype.itemSize
        guard bytes.count == need else {
            throw TensorError.invalidArgument(op: "fromBytes", message: "\(bytes.count) bytes given for shape \(shape) of \(dtype), which needs \(need)")
        }
        if need > 0, let base = bytes.baseAddress { t.storage.data.copyMemory(from: base, byteCount: need) }
        return t
    }

    /// Runs `body` over this tensor's elements in place, for fused kernels
    /// outside the core (optimizer steps). The tensor must be contiguous and of
    /// `T`'s dtype. Autograd does not see the write.
    public func withUnsafeMutableElements<T: TensorElement, R>(_: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R) throws -> R {
        guard T.dtype == dtype else { throw TensorError.badDType(op: "withUnsafeMutableElements", dtype: dtype, detail: "expected \(T.dtype)") }
        guard isContiguous else { throw TensorError.invalidArgument(op: "withUnsafeMutableElements", message: "tensor is not contiguous") }
        return try body(UnsafeMutableBufferPointer(start: pointer(T.self), count: count))
    }

    /// Runs `body` over this tensor's elements read-only (copying to contiguous first if needed).
    public func withUnsafeElements<T: TensorElement, R>(_: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        let t = casted(to: T.dtype).contiguous()
        return try withExtendedLifetime(t) { try body(UnsafeBufferPointer(start: t.pointer(T.self), count: t.count)) }
    }

    /// Calls `body` with a contiguous, mutable buffer of this new tensor's
    /// elements. For filling freshly made tensors.
    func withMutableElements<T, R>(_: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: pointer(T.self), count: count))
    }
}

// MARK: - Creation from Swift values

extension Tensor {
    /// A tensor from row-major `values` with `shape` (default: 1-D).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) throws {
        let s = try checkedShape(shape ?? [values.count], op: "tensor")
        let layout = Layout(contiguous: s)
        guard layout.count == values.count else {
            throw TensorError.invalidArgument(op: "tensor", message: "\(values.count) values do not fill shape \(s)")
        }
        self.init(storage: Storage(byteCount: Swift.max(values.count, 1) * T.dtype.itemSize), layout: layout, dtype: T.dtype)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.typed(T.self).update(from: base, count: values.count) }
        }
    }

    /// A 0-dimensional tensor holding `value`.
    public convenience init<T: TensorElement>(scalar value: T) {
        self.init(storage: Storage(byteCount: T.dtype.itemSize), layout: Layout(contiguous: []), dtype: T.dtype)
        storage.typed(T.self).pointee = value
    }

    /// A 0-dimensional tensor of `dtype` holding `value`.
    public static func scalar(_ value: Double, dtype: DType = .float32) -> Tensor {
        let t = Tensor(empty: [], dtype: dtype)
        t.fill(value)
        return t
    }

    /// Writes `value` into every element of this (new, contiguous) tensor.
    func fill(_ value: Double) {
        switch dtype {
        case .bool: withMutableElements(Bool.self) { $0.update(repeating: value != 0) }
        case .uint8: withMutableElements(UInt8.self) { $0.update(repeating: UInt8(flintDouble: value)) }
        case .int32: withMutableElements(Int32.self) { $0.update(repeating: Int32(flintDouble: value)) }
        case .int64: withMutableElements(Int64.self) { $0.update(repeating: Int64(flintDouble: value)) }
        case .float32: withMutableElements(Float.self) { $0.update(repeating: Float(value)) }
        case .float64: withMutableElements(Double.self) { $0.update(repeating: value) }
        }
    }
}

// MARK: - Reading values back

extension Tensor {
    /// The elements in row-major order, converted to `T`.
    public func toArray<T: TensorElement>(_: T.Type = T.self) -> [T] {
        let t = (dtype == T.dtype ? self : casted(to: T.dtype)).contiguous()
        return withExtendedLifetime(t) { Array(UnsafeBufferPointer(start: t.pointer(T.self), count: t.count)) }
    }

    /// The single value of a one-element tensor, as a Double.
    public func item() throws -> Double {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: "item", message: "a tensor with \(count) elements cannot be converted to a scalar")
        }
        return toArray(Double.self)[0]
    }

    /// Element at a multi-index, as a Double (for tests and printing).
    public func value(at index: [Int]) throws -> Double {
        guard index.count == rank else {
            throw TensorError.invalidArgument(op: "value(at:)", message: "index \(index) has \(index.count) entries for a tensor of rank \(rank)")
        }
        var off = layout.offset
        for d in 0..<rank {
            guard index[d] >= 0 && index[d] < shape[d] else {
                throw TensorError.indexOutOfRange(op: "value(at:)", index: index[d], size: shape[d])
            }
            off += index[d] * strides[d]
        }
        let raw = storage.data
        switch dtype {
        case .bool: return raw.assumingMemoryBound(to: Bool.self)[off] ? 1 : 0
        case .uint8: return Double(raw.assumingMemoryBound(to: UInt8.self)[off])
        case .int32: return Double(raw.assumingMemoryBound(to: Int32.self)[off])
        case .int64: return Double(raw.assumingMemoryBound(to: Int64.self)[off])
        case .float32: return Double(raw.assumingMemoryBound(to: Float.self)[off])
        case .float64: return raw.assumingMemoryBound(to: Double.self)[off]
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = toArray(Double.self)
        let shown = values.prefix(20).map { dtype.isFloatingPoint ? String(format: "%.4f", $0) : String(Int64(flintDouble: $0)) }
        let more = values.count > 20 ? ", ..." : ""
        return "tensor([\(shown.joined(separator: ", "))\(more)], shape: \(shape), dtype: \(dtype))"
    }
}
