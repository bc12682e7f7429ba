import Flint

/// What a model needs in memory, estimated from its layer table as `flint summary` shows
/// it, and the checks built on it: one layer's output must fit (per sample), and `flint
/// check` warns when parameters, their gradients and optimizer state and one batch's
/// activations together exceed this machine's memory.
public enum MemoryEstimate {
    /// Float32 bytes per value: Flint computes in float32.
    static let valueBytes = 4.0
    /// A parameter in training: its value, its gradient and up to two optimizer buffers.
    static let trainingBytesPerParameter = valueBytes * 4
    /// The largest single parameter tensor a builder allocates: a quarter of memory.
    static var trainableLimit: Int { MemoryBudget.availableBytes / 4 }

    /// Why a per-sample output shape cannot exist, or nil when it fits in memory.
    static func problem(perSampleOutput shape: [Int]) -> String? {
        let bytes = MemoryBudget.bytes(shape, .float32)
        guard MemoryBudget.elementCount(shape) == nil || bytes > Double(MemoryBudget.availableBytes) else { return nil }
        return "\(shape) needs \(MemoryBudget.describe(bytes: bytes)) per sample, which does not fit in memory "
            + "(\(MemoryBudget.describeMemory(MemoryBudget.availableBytes)) here)"
    }

    /// The size field of a layer most likely to have asked for too much: the largest
    /// integer it sets, when that is at least the largest size flowing in. Nil when the
    /// input is to blame (its sizes come from earlier layers or `model.input`).
    static func sizeField(of layer: LayerSpec, inputs: [[Int]]) -> String? {
        var best: (name: String, value: Int)?
        for name in layer.writtenFields {
            let values: [Int]
            switch layer.value(name) {
            case .int(let value)?: values = [value]
            case .ints(let list)?: values = list
            default: continue
            }
            guard let largest = values.map(\.magnitude).max(), largest > 1 else { continue }
            if best.map({ Int(clamping: largest) > $0.value }) ?? true { best = (name, Int(clamping: largest)) }
        }
        let largestInput = inputs.flatMap { $0 }.max() ?? 0
        return best.flatMap { $0.value >= largestInput ? $0.name : nil }
    }

    /// Bytes of training state: parameters, their gradients and up to two optimizer
    /// buffers each (Adam's moments), plus the outputs of every layer for a batch of
    /// `batchSize`, kept for the backward pass, and their gradients.
    public static func trainingBytes(_ model: BuiltModel, batchSize: Int) -> (parameters: Double, activations: Double) {
        let parameters = Double(model.parameterCount) * trainingBytesPerParameter
        let perSample = model.layers.filter { !$0.isContainer }.reduce(0.0) { total, row in
            total + MemoryBudget.bytes(row.output, .float32)
        }
        return (parameters, perSample * Double(batchSize) * 2)
    }

    /// Why training the model with batches of `batchSize` likely needs more memory than this
    /// machine has, or nil. `cachedBytes` are the splits `data.cache` holds in memory, known once
    /// the data is opened.
    static func shortfall(_ model: BuiltModel, batchSize: Int, cachedBytes: Double = 0) -> String? {
        let (parameters, activations) = trainingBytes(model, batchSize: batchSize)
        let available = MemoryBudget.availableBytes
        let total = parameters + activations + cachedBytes
        guard total > Double(available) else { return nil }
        let cache = cachedBytes > 0 ? "; the data cache (data.cache) \(MemoryBudget.describe(bytes: cachedBytes))" : ""
        return "training needs about \(MemoryBudget.describe(bytes: total)) "
            + "(parameters, gradients and optimizer state \(MemoryBudget.describe(bytes: parameters)); "
            + "activations of a batch of \(batchSize) \(MemoryBudget.describe(bytes: activations))\(cache)), "
            + "more than the \(MemoryBudget.describeMemory(available)) of memory here"
    }

    /// `flint check`'s warning when training likely needs more memory than this machine has,
    /// at `location` (the batch size's).
    public static func warning(_ model: BuiltModel, batchSize: Int, cachedBytes: Double = 0,
                               at location: SourceLocation) -> Diagnostic? {
        shortfall(model, batchSize: batchSize, cachedBytes: cachedBytes).map {
            .warning(at: location, $0, keyPath: "data.batch_size")
        }
    }

    /// The same as an error: `flint train` refuses a run that cannot fit before it draws a weight.
    public static func error(_ model: BuiltModel, batchSize: Int, at location: SourceLocation) -> Diagnostic? {
        shortfall(model, batchSize: batchSize).map { .error(at: location, "`data.batch_size`: " + $0, keyPath: "data.batch_size") }
    }
}
