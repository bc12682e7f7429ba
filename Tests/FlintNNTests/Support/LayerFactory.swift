import Foundation
import FlintNN

/// Builds the Flint layer a fixture case describes from PyTorch's
/// constructor arguments, as the spec builder does from YAML.
enum LayerFactory {
    static func make(_ type: String, _ a: FixtureArgs, generator: Generator = .default) throws -> Module {
        let ints = { (k: String, d: [Int]) in a.ints(k) ?? d }
        switch type {
        case "linear":
            return try Linear(inFeatures: a.int("in_features", 1), outFeatures: a.int("out_features", 1), bias: a.bool("bias", true),
                          generator: generator)
        case "bilinear":
            return try Bilinear(in1Features: a.int("in1_features", 1), in2Features: a.int("in2_features", 1),
                            outFeatures: a.int("out_features", 1), bias: a.bool("bias", true), generator: generator)
        case "conv1d", "conv2d":
            let padding: ConvPadding
            switch a.raw["padding"] as? String {
            case "same": padding = .same
            case "valid": padding = .valid
            default: padding = .explicit(ints("padding", [0]))
            }
            if type == "conv1d" {
                return try Conv1d(inChannels: a.int("in_channels", 1), outChannels: a.int("out_channels", 1),
                                  kernelSize: a.int("kernel_size", 1), stride: a.int("stride", 1), padding: padding,
                                  dilation: a.int("dilation", 1), groups: a.int("groups", 1), bias: a.bool("bias", true),
                                  generator: generator)
            }
            return try Conv2d(inChannels: a.int("in_channels", 1), outChannels: a.int("out_channels", 1),
                              kernelSize: ints("kernel_size", [1]), stride: ints("stride", [1]), padding: padding,
                              dilation: ints("dilation", [1]), groups: a.int("groups", 1), bias: a.bool("bias", true), generator: generator)
        case "conv_transpose2d":
            return try ConvTranspose2d(inChannels: a.int("in_channels", 1), outChannels: a.int("out_channels", 1),
                                       kernelSize: ints("kernel_size", [1]), stride: ints("stride", [1]), padding: ints("padding", [0]),
                                       outputPadding: ints("output_padding", [0]), groups: a.int("groups", 1), bias: a.bool("bias", true),
                                       dilation: ints("dilation", [1]), generator: generator)
        case "max_pool1d":
            return try MaxPool1d(kernelSize: a.int("kernel_size", 1), stride: a.optInt("stride"), padding: a.int("padding", 0),
                                 dilation: a.int("dilation", 1), ceilMode: a.bool("ceil_mode"))
        case "max_pool2d":
            return try MaxPool2d(kernelSize: ints("kernel_size", [1]), stride: a.ints("stride"), padding: ints("padding", [0]),
                                 dilation: ints("dilation", [1]), ceilMode: a.bool("ceil_mode"))
        case "avg_pool1d":
            return try AvgPool1d(kernelSize: a.int("kernel_size", 1), stride: a.optInt("stride"), padding: a.int("padding", 0),
                                 ceilMode: a.bool("ceil_mode"), countIncludePad: a.bool("count_include_pad", true))
        case "avg_pool2d":
            return try AvgPool2d(kernelSize: ints("kernel_size", [1]), stride: a.ints("stride"), padding: ints("padding", [0]),
                                 ceilMode: a.bool("ceil_mode"), countIncludePad: a.bool("count_include_pad", true),
                                 divisorOverride: a.optInt("divisor_override"))
        case "adaptive_avg_pool1d": return try AdaptiveAvgPool1d(outputSize: a.int("output_size", 1))
        case "adaptive_avg_pool2d": return try AdaptiveAvgPool2d(outputSize: ints("output_size", [1]))
        case "adaptive_max_pool2d": return try AdaptiveMaxPool2d(outputSize: ints("output_size", [1]))
        case "batch_norm1d", "batch_norm2d":
            let n = a.int("num_features", 1), eps = a.double("eps", 1e-5)
            let momentum: Double? = a.raw["momentum"] is NSNull ? nil : a.double("momentum", 0.1)
            let affine = a.bool("affine", true), track = a.bool("track_running_stats", true)
            return type == "batch_norm1d"
                ? try BatchNorm1d(numFeatures: n, eps: eps, momentum: momentum, affine: affine, trackRunningStats: track)
                : try BatchNorm2d(numFeatures: n, eps: eps, momentum: momentum, affine: affine, trackRunningStats: track)
        case "layer_norm":
            return try LayerNorm(normalizedShape: ints("normalized_shape", [1]), eps: a.double("eps", 1e-5),
                                 elementwiseAffine: a.bool("elementwise_affine", true), bias: a.bool("bias", true))
        case "group_norm":
            return try GroupNorm(numGroups: a.int("num_groups", 1), numChannels: a.int("num_channels", 1), eps: a.double("eps", 1e-5),
                                 affine: a.bool("affine", true))
        case "dropout": return try Dropout(p: a.double("p", 0.5))
        case "dropout2d": return try Dropout2d(p: a.double("p", 0.5))
        case "embedding":
            return try Embedding(numEmbeddings: a.int("num_embeddings", 1), embeddingDim: a.int("embedding_dim", 1),
                                 paddingIdx: a.optInt("padding_idx"), generator: generator)
        case "rnn", "lstm", "gru":
            let i = a.int("input_size", 1), h = a.int("hidden_size", 1), layers = a.int("num_layers", 1), bias = a.bool("bias", true)
            let bf = a.bool("batch_first"), dropout = a.double("dropout", 0), bi = a.bool("bidirectional")
            switch type {
            case "rnn":
                return try RNN(inputSize: i, hiddenSize: h, numLayers: layers, nonlinearity: a.string("nonlinearity", "tanh"), bias: bias,
                               batchFirst: bf, dropout: dropout, bidirectional: bi, generator: generator)
            case "lstm":
                return try LSTM(inputSize: i, hiddenSize: h, numLayers: layers, bias: bias, batchFirst: bf, dropout: dropout,
                                bidirectional: bi, generator: generator)
            default:
                return try GRU(inputSize: i, hiddenSize: h, numLayers: layers, bias: bias, batchFirst: bf, dropout: dropout,
                               bidirectional: bi, generator: generator)
            }
        case "multihead_attention":
            return try MultiheadAttention(embedDim: a.int("embed_dim", 1), numHeads: a.int("num_heads", 1), dropout: a.double("dropout", 0),
                                          bias: a.bool("bias", true), batchFirst: a.bool("batch_first"), generator: generator)
        case "transformer_encoder_layer":
            return try TransformerEncoderLayer(dModel: a.int("d_model", 1), nhead: a.int("nhead", 1),
                                               dimFeedforward: a.int("dim_feedforward", 2048), dropout: a.double("dropout", 0.1),
                                               activation: a.string("activation", "relu"), layerNormEps: a.double("layer_norm_eps", 1e-5),
                                               batchFirst: a.bool("batch_first"), normFirst: a.bool("norm_first"),
                                               bias: a.bool("bias", true), generator: generator)
        case "flatten": return Flatten(startDim: a.int("start_dim", 1), endDim: a.int("end_dim", -1))
        case "unflatten": return try Unflatten(dim: a.int("dim", 1), unflattenedSize: ints("unflattened_size", [1]))
        case "identity": return Identity()
        case "prelu": return try PReLU(numParameters: a.int("num_parameters", 1), initialValue: a.double("init", 0.25))
        default: return try activation(type, a)
        }
    }

    static func activation(_ type: String, _ a: FixtureArgs) throws -> Module {
        switch type {
        case "relu": return ReLU()
        case "relu6": return ReLU6()
        case "gelu": return try GELU(approximate: a.string("approximate", "none"))
        case "silu": return SiLU()
        case "elu": return ELU(alpha: a.double("alpha", 1))
        case "selu": return SELU()
        case "celu": return try CELU(alpha: a.double("alpha", 1))
        case "leaky_relu": return LeakyReLU(negativeSlope: a.double("negative_slope", 0.01))
        case "hardtanh": return try Hardtanh(minVal: a.double("min_val", -1), maxVal: a.double("max_val", 1))
        case "hardsigmoid": return Hardsigmoid()
        case "hardswish": return Hardswish()
        case "mish": return Mish()
        case "softplus": return Softplus(beta: a.double("beta", 1), threshold: a.double("threshold", 20))
        case "softsign": return Softsign()
        case "log_sigmoid": return LogSigmoid()
        case "tanh": return Tanh()
        case "sigmoid": return Sigmoid()
        case "softmax": return Softmax(dim: a.int("dim", -1))
        case "log_softmax": return LogSoftmax(dim: a.int("dim", -1))
        case "softmin": return Softmin(dim: a.int("dim", -1))
        case "glu": return GLU(dim: a.int("dim", -1))
        case "tanhshrink": return Tanhshrink()
        case "softshrink": return try Softshrink(lambd: a.double("lambd", 0.5))
        case "hardshrink": return Hardshrink(lambd: a.double("lambd", 0.5))
        case "threshold": return Threshold(threshold: a.double("threshold", 0), value: a.double("value", 0))
        default: throw NNFixtureError.unsupported("layer \(type)")
        }
    }

    /// Every output PyTorch's module returns, in its order.
    static func outputs(_ type: String, _ module: Module, _ inputs: [Tensor]) throws -> [Tensor] {
        switch module {
        case let rnn as RecurrentBase:
            let r = try rnn.forwardWithState(inputs[0], hx: inputs.count > 1 ? inputs[1] : nil, cx: inputs.count > 2 ? inputs[2] : nil)
            return [r.output, r.hN] + (r.cN.map { [$0] } ?? [])
        case let mha as MultiheadAttention:
            let q = inputs[0], k = inputs.count > 1 ? inputs[1] : q, v = inputs.count > 2 ? inputs[2] : q
            let r = try mha.attention(query: q, key: k, value: v, needWeights: true)
            return [r.output] + (r.weights.map { [$0] } ?? [])
        default:
            return [try module.forward(inputs)]
        }
    }
}
