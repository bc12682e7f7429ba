import Flint
import FlintNN

/// Builds one layer from its spec entry and the per-sample shape flowing in
/// (without the batch dimension), returning the module and the shape flowing out.
public typealias LayerBuilder = (_ entry: SpecEntry, _ input: [Int]) throws -> (module: Module, output: [Int])

/// Builds a layer that reads several inputs (`add`, `cat`, `bilinear`) from every input's per-sample shape.
public typealias MergeBuilder = (_ entry: SpecEntry, _ inputs: [[Int]]) throws -> (module: Module, output: [Int])

/// A problem found while building, reported at the entry's line, or at the line of
/// `field` when one value is to blame (a declared size the input contradicts).
public struct BuildProblem: Error, CustomStringConvertible {
    public let message: String
    public let field: String?

    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// The builders for every layer type of `SpecSchema.layers`, by its snake_case PyTorch
/// name. Each infers the input sizes from the shape flowing in, makes the FlintNN module,
/// and asks the module for its output shape, so a mismatch is found before data flows.
public enum LayerBuilders {
    public static let table: [String: LayerBuilder] = linear
        .merging(convolution) { $1 }.merging(pooling) { $1 }.merging(normalization) { $1 }
        .merging(recurrent) { $1 }.merging(shape) { $1 }.merging(activations) { $1 }

    /// Layers that read several inputs, given every input's per-sample shape.
    public static let merges: [String: MergeBuilder] = [
        "add": { _, inputs in (Add(), try broadcast(inputs)) },
        "mul": { _, inputs in (Mul(), try broadcast(inputs)) },
        "cat": { entry, inputs in
            let dim = entry.int("dim") ?? 1
            let rank = (inputs.first?.count ?? 0) + 1
            guard inputs.allSatisfy({ $0.count + 1 == rank }) else {
                throw BuildProblem("inputs must have the same rank, got per-sample shapes \(describe(inputs))")
            }
            try checkDim(dim, inputs.first ?? [])
            let axis = dim < 0 ? dim + rank : dim
            guard axis > 0 else { throw BuildProblem("cannot concatenate along dim \(dim), the batch dimension") }
            var output = inputs.first ?? []
            for shape in inputs.dropFirst() {
                for d in shape.indices where d != axis - 1 && shape[d] != output[d] {
                    throw BuildProblem("inputs must match in every dimension but dim \(dim), got per-sample shapes "
                                       + describe(inputs))
                }
                output[axis - 1] += shape[axis - 1]
            }
            return (Cat(dim: dim), output)
        },
        "bilinear": { entry, inputs in
            guard inputs.count == 2, let first = inputs[0].last, let second = inputs[1].last,
                  inputs[0].dropLast() == inputs[1].dropLast() else {
                throw BuildProblem("expected two inputs [*, in1_features] and [*, in2_features] with equal leading "
                                   + "dimensions, got per-sample shapes \(describe(inputs))")
            }
            let in1 = try agree(entry, "in1_features", first, "features in its first input", inputs[0])
            let in2 = try agree(entry, "in2_features", second, "features in its second input", inputs[1])
            let out = entry.int("out_features") ?? 1
            let module = try Bilinear(in1Features: in1, in2Features: in2, outFeatures: out, bias: entry.bool("bias") ?? true)
            return (module, Array(inputs[0].dropLast()) + [out])
        },
    ]

    /// A layer of `LayerGraph.maskedTypes` given `inputs: [h, mask]`: built on the
    /// sequence's shape `[L, *]` once the mask is known to be `[L]`.
    static func masked(_ entry: SpecEntry, _ inputs: [[Int]]) throws -> (module: Module, output: [Int]) {
        guard inputs.count == 2, let build = table[entry.type] else {
            throw BuildProblem("expected [sequence] or [sequence, key_padding_mask], got \(inputs.count) inputs")
        }
        guard let length = inputs[0].first, inputs[1] == [length] else {
            throw BuildProblem("the key-padding mask must be [L] per sample for a sequence [L, *], got per-sample shapes "
                               + describe(inputs) + " (make it with a padding_mask layer reading the token ids)")
        }
        return try build(entry, inputs[0])
    }

    // MARK: Tables

    static let linear: [String: LayerBuilder] = [
        "linear": { e, input in
            guard let last = input.last else {
                throw BuildProblem("expected an input with a feature dimension, got per-sample shape \(input)")
            }
            let features = try agree(e, "in_features", last, "features", input)
            return try shaped(Linear(inFeatures: features, outFeatures: e.int("out_features") ?? 1,
                                     bias: e.bool("bias") ?? true), input)
        },
    ]

    static let convolution: [String: LayerBuilder] = [
        "conv1d": { e, input in
            let channels = try agree(e, "in_channels", try leading(input, rank: 2, layout: "[C, L]"), "channels", input)
            return try shaped(Conv1d(inChannels: channels, outChannels: e.int("out_channels") ?? 1,
                                     kernelSize: e.int("kernel_size") ?? e.ints("kernel_size")?.first ?? 1,
                                     stride: e.ints("stride")?.first ?? 1, padding: convPadding(e),
                                     dilation: e.ints("dilation")?.first ?? 1, groups: e.int("groups") ?? 1,
                                     bias: e.bool("bias") ?? true), input)
        },
        "conv2d": { e, input in
            let channels = try agree(e, "in_channels", try leading(input, rank: 3, layout: "[C, H, W]"), "channels", input)
            return try shaped(Conv2d(inChannels: channels, outChannels: e.int("out_channels") ?? 1,
                                     kernelSize: e.ints("kernel_size") ?? [1], stride: e.ints("stride") ?? [1],
                                     padding: convPadding(e), dilation: e.ints("dilation") ?? [1],
                                     groups: e.int("groups") ?? 1, bias: e.bool("bias") ?? true), input)
        },
        "conv_transpose2d": { e, input in
            let channels = try agree(e, "in_channels", try leading(input, rank: 3, layout: "[C, H, W]"), "channels", input)
            return try shaped(ConvTranspose2d(inChannels: channels, outChannels: e.int("out_channels") ?? 1,
                                              kernelSize: e.ints("kernel_size") ?? [1], stride: e.ints("stride") ?? [1],
                                              padding: e.ints("padding") ?? [0], outputPadding: e.ints("output_padding") ?? [0],
                                              groups: e.int("groups") ?? 1, bias: e.bool("bias") ?? true,
                                              dilation: e.ints("dilation") ?? [1]), input)
        },
    ]

    static let pooling: [String: LayerBuilder] = [
        "max_pool1d": { e, input in
            try shaped(MaxPool1d(kernelSize: e.ints("kernel_size")?.first ?? 1, stride: e.ints("stride")?.first,
                                 padding: e.ints("padding")?.first ?? 0, dilation: e.ints("dilation")?.first ?? 1,
                                 ceilMode: e.bool("ceil_mode") ?? false), input)
        },
        "max_pool2d": { e, input in
            try shaped(MaxPool2d(kernelSize: e.ints("kernel_size") ?? [1], stride: e.ints("stride"),
                                 padding: e.ints("padding") ?? [0], dilation: e.ints("dilation") ?? [1],
                                 ceilMode: e.bool("ceil_mode") ?? false), input)
        },
        "avg_pool1d": { e, input in
            try shaped(AvgPool1d(kernelSize: e.ints("kernel_size")?.first ?? 1, stride: e.ints("stride")?.first,
                                 padding: e.ints("padding")?.first ?? 0, ceilMode: e.bool("ceil_mode") ?? false,
                                 countIncludePad: e.bool("count_include_pad") ?? true), input)
        },
        "avg_pool2d": { e, input in
            try shaped(AvgPool2d(kernelSize: e.ints("kernel_size") ?? [1], stride: e.ints("stride"),
                                 padding: e.ints("padding") ?? [0], ceilMode: e.bool("ceil_mode") ?? false,
                                 countIncludePad: e.bool("count_include_pad") ?? true,
                                 divisorOverride: e.int("divisor_override")), input)
        },
        "adaptive_avg_pool1d": { e, input in
            try shaped(AdaptiveAvgPool1d(outputSize: e.ints("output_size")?.first ?? 1), input)
        },
        "adaptive_avg_pool2d": { e, input in
            try shaped(AdaptiveAvgPool2d(outputSize: e.ints("output_size") ?? [1]), input)
        },
        "adaptive_max_pool2d": { e, input in
            try shaped(AdaptiveMaxPool2d(outputSize: e.ints("output_size") ?? [1]), input)
        },
    ]

    static let normalization: [String: LayerBuilder] = [
        "batch_norm1d": { e, input in
            guard input.count == 1 || input.count == 2, let channels = input.first else {
                throw BuildProblem("expected a per-sample input [C] or [C, L], got shape \(input)")
            }
            return try shaped(BatchNorm1d(numFeatures: try agree(e, "num_features", channels, "channels", input),
                                          eps: e.double("eps") ?? 1e-5, momentum: e.double("momentum") ?? 0.1,
                                          affine: e.bool("affine") ?? true,
                                          trackRunningStats: e.bool("track_running_stats") ?? true), input)
        },
        "batch_norm2d": { e, input in
            let channels = try agree(e, "num_features", try leading(input, rank: 3, layout: "[C, H, W]"), "channels", input)
            return try shaped(BatchNorm2d(numFeatures: channels, eps: e.double("eps") ?? 1e-5,
                                          momentum: e.double("momentum") ?? 0.1, affine: e.bool("affine") ?? true,
                                          trackRunningStats: e.bool("track_running_stats") ?? true), input)
        },
        "layer_norm": { e, input in
            guard let last = input.last else { throw BuildProblem("expected an input with a feature dimension, got shape \(input)") }
            return try shaped(LayerNorm(normalizedShape: e.ints("normalized_shape") ?? [last], eps: e.double("eps") ?? 1e-5,
                                        elementwiseAffine: e.bool("elementwise_affine") ?? true,
                                        bias: e.bool("bias") ?? true), input)
        },
        "group_norm": { e, input in
            guard let first = input.first else { throw BuildProblem("expected a per-sample input [C, *], got shape \(input)") }
            let channels = try agree(e, "num_channels", first, "channels", input)
            let groups = e.int("num_groups") ?? 1
            guard channels % groups == 0 else {
                throw BuildProblem("num_groups \(groups) must divide the input's \(channels) channels (per-sample shape \(input))",
                                   field: "num_groups")
            }
            return try shaped(GroupNorm(numGroups: groups, numChannels: channels, eps: e.double("eps") ?? 1e-5,
                                        affine: e.bool("affine") ?? true), input)
        },
        "dropout": { e, input in try shaped(Dropout(p: e.double("p") ?? 0.5), input) },
        "dropout2d": { e, input in try shaped(Dropout2d(p: e.double("p") ?? 0.5), input) },
    ]

    static let recurrent: [String: LayerBuilder] = [
        "rnn": { e, input in
            let features = try sequenceFeatures(e, "input_size", input)
            return try shaped(RNN(inputSize: features, hiddenSize: e.int("hidden_size") ?? 1, numLayers: e.int("num_layers") ?? 1,
                                  nonlinearity: e.string("nonlinearity") ?? "tanh", bias: e.bool("bias") ?? true,
                                  batchFirst: true, dropout: e.double("dropout") ?? 0,
                                  bidirectional: e.bool("bidirectional") ?? false), input)
        },
        "lstm": { e, input in
            let features = try sequenceFeatures(e, "input_size", input)
            return try shaped(LSTM(inputSize: features, hiddenSize: e.int("hidden_size") ?? 1,
                                   numLayers: e.int("num_layers") ?? 1, bias: e.bool("bias") ?? true, batchFirst: true,
                                   dropout: e.double("dropout") ?? 0, bidirectional: e.bool("bidirectional") ?? false), input)
        },
        "gru": { e, input in
            let features = try sequenceFeatures(e, "input_size", input)
            return try shaped(GRU(inputSize: features, hiddenSize: e.int("hidden_size") ?? 1,
                                  numLayers: e.int("num_layers") ?? 1, bias: e.bool("bias") ?? true, batchFirst: true,
                                  dropout: e.double("dropout") ?? 0, bidirectional: e.bool("bidirectional") ?? false), input)
        },
        "multihead_attention": { e, input in
            let embed = try sequenceFeatures(e, "embed_dim", input)
            let heads = e.int("num_heads") ?? 1
            guard embed % heads == 0 else {
                throw BuildProblem("num_heads \(heads) must divide embed_dim \(embed) (per-sample shape \(input))", field: "num_heads")
            }
            return try shaped(MultiheadAttention(embedDim: embed, numHeads: heads, dropout: e.double("dropout") ?? 0,
                                                 bias: e.bool("bias") ?? true, batchFirst: true), input)
        },
        "transformer_encoder_layer": { e, input in
            let model = try sequenceFeatures(e, "d_model", input)
            let heads = e.int("nhead") ?? 1
            guard model % heads == 0 else {
                throw BuildProblem("nhead \(heads) must divide d_model \(model) (per-sample shape \(input))", field: "nhead")
            }
            return try shaped(TransformerEncoderLayer(dModel: model, nhead: heads, dimFeedforward: e.int("dim_feedforward") ?? 2048,
                                                      dropout: e.double("dropout") ?? 0.1,
                                                      activation: e.string("activation") ?? "relu",
                                                      layerNormEps: e.double("layer_norm_eps") ?? 1e-5, batchFirst: true,
                                                      normFirst: e.bool("norm_first") ?? false,
                                                      bias: e.bool("bias") ?? true, causal: e.bool("causal") ?? false), input)
        },
    ]

    static let shape: [String: LayerBuilder] = [
        "embedding": { e, input in
            try shaped(Embedding(numEmbeddings: e.int("num_embeddings") ?? 1, embeddingDim: e.int("embedding_dim") ?? 1,
                                 paddingIdx: e.int("padding_idx")), input)
        },
        "positional_embedding": { e, input in
            let dim = try sequenceFeatures(e, "embedding_dim", input)
            let length = input[0]
            if let maxLen = e.int("max_len"), maxLen < length {
                throw BuildProblem("max_len \(maxLen) is shorter than the input's \(length) positions (per-sample shape \(input))",
                                   field: "max_len")
            }
            return try shaped(PositionalEmbedding(maxLen: e.int("max_len") ?? length, embeddingDim: dim,
                                                  sinusoidal: e.bool("sinusoidal") ?? false), input)
        },
        "padding_mask": { e, input in try shaped(PaddingMask(paddingIdx: e.int("padding_idx") ?? 1), input) },
        "mean_pool": { _, input in try shaped(MeanPool(), input) },
        "last_token": { _, input in try shaped(LastToken(), input) },
        "flatten": { e, input in
            try shaped(Flatten(startDim: e.int("start_dim") ?? 1, endDim: e.int("end_dim") ?? -1), input)
        },
        "unflatten": { e, input in
            try shaped(Unflatten(dim: e.int("dim") ?? 1, unflattenedSize: e.ints("unflattened_size") ?? []), input)
        },
        "identity": { _, input in (Identity(), input) },
    ]

    static let activations: [String: LayerBuilder] = [
        "relu": { _, input in (ReLU(), input) },
        "relu6": { _, input in (ReLU6(), input) },
        "leaky_relu": { e, input in (LeakyReLU(negativeSlope: e.double("negative_slope") ?? 0.01), input) },
        "prelu": { e, input in
            try shaped(PReLU(numParameters: e.int("num_parameters") ?? 1, initialValue: e.double("init") ?? 0.25), input)
        },
        "elu": { e, input in (ELU(alpha: e.double("alpha") ?? 1), input) },
        "celu": { e, input in (try CELU(alpha: e.double("alpha") ?? 1), input) },
        "selu": { _, input in (SELU(), input) },
        "gelu": { e, input in (try GELU(approximate: e.string("approximate") ?? "none"), input) },
        "silu": { _, input in (SiLU(), input) },
        "mish": { _, input in (Mish(), input) },
        "tanh": { _, input in (Tanh(), input) },
        "sigmoid": { _, input in (Sigmoid(), input) },
        "log_sigmoid": { _, input in (LogSigmoid(), input) },
        "hardsigmoid": { _, input in (Hardsigmoid(), input) },
        "hardswish": { _, input in (Hardswish(), input) },
        "hardtanh": { e, input in (try Hardtanh(minVal: e.double("min_val") ?? -1, maxVal: e.double("max_val") ?? 1), input) },
        "softplus": { e, input in (Softplus(beta: e.double("beta") ?? 1, threshold: e.double("threshold") ?? 20), input) },
        "softsign": { _, input in (Softsign(), input) },
        "softshrink": { e, input in (try Softshrink(lambd: e.double("lambd") ?? 0.5), input) },
        "hardshrink": { e, input in (Hardshrink(lambd: e.double("lambd") ?? 0.5), input) },
        "tanhshrink": { _, input in (Tanhshrink(), input) },
        "threshold": { e, input in (Threshold(threshold: e.double("threshold") ?? 0, value: e.double("value") ?? 0), input) },
        "softmax": { e, input in try shaped(Softmax(dim: e.int("dim") ?? -1), input) },
        "log_softmax": { e, input in try shaped(LogSoftmax(dim: e.int("dim") ?? -1), input) },
        "softmin": { e, input in try shaped(Softmin(dim: e.int("dim") ?? -1), input) },
        "glu": { e, input in try shaped(GLU(dim: e.int("dim") ?? -1), input) },
    ]

    // MARK: Shapes

    /// The module and the output shape it computes for `input`.
    static func shaped(_ module: Module, _ input: [Int]) throws -> (module: Module, output: [Int]) {
        (module, try module.outputShape(input: input))
    }

    /// A size the layer reads off its input. Written in the spec anyway, it must agree:
    /// a disagreement is the spec's mistake, reported at the value.
    static func agree(_ entry: SpecEntry, _ field: String, _ actual: Int, _ what: String, _ input: [Int]) throws -> Int {
        if let declared = entry.int(field), declared != actual {
            throw BuildProblem("\(field) is \(declared) but the input has \(actual) \(what) (per-sample shape \(input)); "
                               + "omit \(field) to infer it", field: field)
        }
        return actual
    }

    /// The channels of a per-sample input of the given rank (`[C, H, W]`).
    static func leading(_ input: [Int], rank: Int, layout: String) throws -> Int {
        guard input.count == rank, let channels = input.first else {
            throw BuildProblem("expected a per-sample input \(layout), got shape \(input)")
        }
        return channels
    }

    /// The features of a per-sample sequence `[L, features]`.
    static func sequenceFeatures(_ entry: SpecEntry, _ field: String, _ input: [Int]) throws -> Int {
        guard input.count == 2 else {
            throw BuildProblem("expected a per-sample sequence [L, \(field)], got shape \(input); "
                               + "MNIST images [1, 28, 28] become rows with {type: flatten, start_dim: 1, end_dim: 2}")
        }
        return try agree(entry, field, input[1], "features per step", input)
    }

    static func convPadding(_ entry: SpecEntry) -> ConvPadding {
        switch entry.value("padding") {
        case .string("same")?: return .same
        case .string("valid")?: return .valid
        default: return .explicit(entry.ints("padding") ?? [0])
        }
    }

    /// The per-sample shape of an elementwise join: equal ranks (the batch dimension
    /// lines up), sizes equal or 1 as PyTorch broadcasts.
    static func broadcast(_ inputs: [[Int]]) throws -> [Int] {
        guard var output = inputs.first else { return [] }
        for shape in inputs.dropFirst() {
            guard shape.count == output.count else {
                throw BuildProblem("inputs must have the same per-sample shape, got \(describe(inputs))")
            }
            for d in shape.indices {
                if shape[d] == output[d] || shape[d] == 1 { continue }
                guard output[d] == 1 else {
                    throw BuildProblem("inputs must have the same per-sample shape, got \(describe(inputs))")
                }
                output[d] = shape[d]
            }
        }
        return output
    }

    static func describe(_ shapes: [[Int]]) -> String {
        shapes.map { "\($0)" }.joined(separator: " and ")
    }

    /// A dim argument checked against a batched input of per-sample shape `input`.
    static func checkDim(_ dim: Int, _ input: [Int]) throws {
        let rank = input.count + 1
        guard dim >= -rank && dim < rank else {
            throw BuildProblem("dim \(dim) is out of range for a batch of per-sample shape \(input)")
        }
    }
}
