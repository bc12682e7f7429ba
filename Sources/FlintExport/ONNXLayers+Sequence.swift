import Foundation
import FlintTrain
import Flint
import FlintNN
import ONNXProto

extension ONNXLayers {
    /// Embeddings, recurrent layers and attention over batch-first sequences
    /// `[N, L, features]` (a spec's batches are always batch-first).
    static let sequence: [String: ONNXLayerMapping] = [
        "embedding": { layer in
            layer.node("Gather", [try layer.requiredWeight("weight"), layer.input], [ONNXAttribute.int("axis", 0)])
        },
        // x + table[:L], L read from the input so the sequence length stays dynamic.
        "positional_embedding": { layer in
            let positional = try layer.module(as: PositionalEmbedding.self)
            let table = positional.sinusoidal ? try layer.derivedWeight("sinusoids", try positional.table())
                : try layer.requiredWeight("weight")
            let length = layer.node("Shape", [layer.input], [ONNXAttribute.int("start", 1), ONNXAttribute.int("end", 2)])
            let rows = layer.node("Slice", [table, try layer.int64s("zero", [0]), length, try layer.int64s("rows_axis", [0])])
            return layer.node("Add", [layer.input, rows])
        },
        "rnn": { layer in try recurrent(layer) },
        "lstm": { layer in try recurrent(layer) },
        "gru": { layer in try recurrent(layer) },
        "multihead_attention": { layer in
            let attention = try layer.module(as: MultiheadAttention.self)
            switch layer.inputs.count {
            case 1: return try attend(layer, attention, query: layer.input, key: layer.input, value: layer.input)
            case 3: return try attend(layer, attention, query: layer.inputs[0], key: layer.inputs[1], value: layer.inputs[2])
            default: throw TrainError.runtime("onnx export: layer '\(layer.name)' is given \(layer.inputs.count) inputs; attention takes [query] or [query, key, value]")
            }
        },
        "transformer_encoder_layer": { layer in
            let encoder = try layer.module(as: TransformerEncoderLayer.self)
            guard encoder.batchFirst else { throw layer.unsupported("batch_first=false") }
            let shape = layer.inputShape
            func child(_ name: String, _ x: String) throws -> String { try layer.emit(child: name, input: x, shape: shape).value }
            // inputs: [src, src_key_padding_mask] (bool, from padding_mask) masks the keys.
            let keyPaddingMask = layer.inputs.count == 2 ? layer.inputs[1] : nil
            func selfAttention(_ x: String) throws -> String {
                guard encoder.causal || keyPaddingMask != nil else { return try child("self_attn", x) }
                let attention = ONNXLayerContext(module: encoder.selfAttn, prefix: layer.prefix + "self_attn.", inputs: [x],
                                                 inputShapes: [shape], outputShape: shape, graph: layer.graph,
                                                 exporter: layer.exporter)
                return try attend(attention, encoder.selfAttn, query: x, key: x, value: x, causal: encoder.causal,
                                  keyPaddingMask: keyPaddingMask)
            }
            func feedForward(_ x: String) throws -> String {
                let (hidden, hiddenShape) = try layer.emit(child: "linear1", input: x, shape: shape)
                let activated = encoder.activation == "gelu" ? try gelu(layer, hidden, approximate: false) : layer.node("Relu", [hidden])
                return try layer.emit(child: "linear2", input: activated, shape: hiddenShape).value
            }
            // Dropouts are the identity at inference.
            let src = layer.input
            if encoder.normFirst {
                let x = layer.node("Add", [src, try selfAttention(try child("norm1", src))])
                return layer.node("Add", [x, try feedForward(try child("norm2", x))])
            }
            let x = try child("norm1", layer.node("Add", [src, try selfAttention(src)]))
            return try child("norm2", layer.node("Add", [x, try feedForward(x)]))
        },
        "padding_mask": { layer in
            let mask = try layer.module(as: PaddingMask.self)
            // Ids compared as int64 whatever the input's type (a float input holds whole numbers).
            let ids = layer.node("Cast", [layer.input], [ONNXAttribute.int("to", 7)])
            return layer.node("Equal", [ids, try layer.int64s("padding_idx", [mask.paddingIdx])])
        },
        "mean_pool": { layer in
            guard layer.inputs.count == 2 else {
                return layer.node("ReduceMean", [layer.input], [ONNXAttribute.ints("axes", [1]), ONNXAttribute.int("keepdims", 0)])
            }
            // (x · keep).sum(1) / keep.sum(1), keep = ¬mask as float [N, L, 1, …].
            let keep = layer.node("Cast", [layer.node("Not", [layer.inputs[1]])], [ONNXAttribute.int("to", 1)])
            let weights = try layer.reshape(keep, to: [-1] + layer.inputShape.dropFirst().map { _ in 1 })
            let positions = try layer.int64s("positions_axis", [1])
            let total = layer.node("ReduceSum", [layer.node("Mul", [layer.input, weights]), positions], [ONNXAttribute.int("keepdims", 0)])
            return layer.node("Div", [total, layer.node("ReduceSum", [weights, positions], [ONNXAttribute.int("keepdims", 0)])])
        },
        "last_token": { layer in
            let rest = Array(layer.inputShape.dropFirst())
            guard layer.inputs.count == 2 else {
                return layer.node("Gather", [layer.input, try layer.derivedWeight("last", Tensor(scalar: Int64(-1)))],
                                  [ONNXAttribute.int("axis", 1)])
            }
            // Index lengths − 1 along the positions (−1, the last, for a row of padding only), expanded over the features.
            let keep = layer.node("Cast", [layer.node("Not", [layer.inputs[1]])], [ONNXAttribute.int("to", 7)])
            let lengths = layer.node("ReduceSum", [keep, try layer.int64s("positions_axis", [1])], [ONNXAttribute.int("keepdims", 1)])
            let last = layer.node("Sub", [lengths, try layer.int64s("one", [1])])
            let index = layer.node("Expand", [try layer.reshape(last, to: [1] + rest.map { _ in 1 }), try layer.int64s("index_shape", [1, 1] + rest)])
            let picked = layer.node("GatherElements", [layer.input, index], [ONNXAttribute.int("axis", 1)])
            return layer.node("Squeeze", [picked, try layer.int64s("squeezed_axis", [1])])
        },
    ]

    /// RNN, LSTM and GRU as one ONNX node per layer, each running both
    /// directions when bidirectional, on the time-major sequence ONNX takes
    /// (`layout` 1 is not implemented by ONNX Runtime). Like Flint's layer the
    /// result is the output sequence `[N, L, D·hidden_size]`; initial states are zero.
    ///
    /// PyTorch stacks gates i, f, g, o (LSTM) and r, z, n (GRU); ONNX wants
    /// i, o, f, c and z, r, h, so the weight blocks are reordered. PyTorch's GRU
    /// applies r after the hidden projection and its bias: ONNX's `linear_before_reset`.
    static func recurrent(_ layer: ONNXLayerContext) throws -> String {
        let rnn = try layer.module(as: RecurrentBase.self)
        guard rnn.batchFirst else { throw layer.unsupported("batch_first=false") }
        let directions = rnn.bidirectional ? 2 : 1
        var attributes = [ONNXAttribute.int("hidden_size", rnn.hiddenSize),
                          ONNXAttribute.string("direction", rnn.bidirectional ? "bidirectional" : "forward")]
        let op: String, gateOrder: [Int]
        switch rnn {
        case let elman as RNN:
            op = "RNN"
            gateOrder = [0]
            attributes.append(ONNXAttribute.strings("activations", Array(repeating: elman.nonlinearity == "relu" ? "Relu" : "Tanh", count: directions)))
        case is LSTM:
            op = "LSTM"
            gateOrder = [0, 3, 1, 2]
        case is GRU:
            op = "GRU"
            gateOrder = [1, 0, 2]
            attributes.append(ONNXAttribute.int("linear_before_reset", 1))
        default:
            throw TrainError.runtime("onnx export: layer '\(layer.name)' is a recurrent layer of unknown kind \(type(of: rnn))")
        }
        let hidden = rnn.hiddenSize
        /// One PyTorch weight of every direction of `layer`, gates in ONNX's order: `[D, gates·hidden, *]`.
        func stacked(_ weight: String, layer index: Int) throws -> Tensor {
            try Tensor.stack((0..<directions).map { direction in
                let w = try layer.requiredTensor(weight + "_l\(index)" + (direction == 1 ? "_reverse" : ""))
                return try Tensor.cat(gateOrder.map { try w.narrow(0, start: $0 * hidden, length: hidden) }, dim: 0)
            }, dim: 0)
        }
        var sequence = layer.transpose(layer.input, [1, 0, 2])
        for index in 0..<rnn.numLayers {
            var inputs = [sequence, try layer.derivedWeight("W_l\(index)", try stacked("weight_ih", layer: index)),
                          try layer.derivedWeight("R_l\(index)", try stacked("weight_hh", layer: index))]
            if rnn.bias {
                // ONNX's B is [W_b, R_b] of each direction.
                let bias = try Tensor.cat([try stacked("bias_ih", layer: index), try stacked("bias_hh", layer: index)], dim: 1)
                inputs.append(try layer.derivedWeight("B_l\(index)", bias))
            }
            // Y is [L, D, N, hidden]; the next layer and the output want [L, N, D·hidden].
            let y = layer.node(op, inputs, attributes)
            sequence = layer.node("Reshape", [layer.transpose(y, [0, 2, 1, 3]), try layer.int64s("sequence_shape", [0, 0, -1])])
        }
        return layer.transpose(sequence, [1, 0, 2])
    }

    /// Multi-head scaled dot-product attention of `[N, L, E]` queries over
    /// `[N, S, E]` keys and values, as `MultiheadAttention.attention` computes it:
    /// project, split into heads, softmax(q·kᵀ/√head_dim)·v, join heads, `out_proj`.
    /// `causal` adds −∞ above the diagonal: a constant `[L, L]` mask for the
    /// layer's length, sliced to the length of the query (which may be shorter);
    /// `keyPaddingMask` (bool `[N, S]`) adds −∞ to the keys it marks.
    static func attend(_ layer: ONNXLayerContext, _ attention: MultiheadAttention, query: String, key: String, value: String,
                       causal: Bool = false, keyPaddingMask: String? = nil) throws -> String {
        guard attention.batchFirst else { throw layer.unsupported("batch_first=false") }
        let e = attention.embedDim, heads = attention.numHeads, headDim = e / heads
        let weight = try layer.requiredTensor("in_proj_weight")
        let bias = attention.parameter("in_proj_bias")?.detach()
        /// The i-th of the packed projections (q, k, v), split into heads `[N, heads, T, head_dim]`.
        func project(_ x: String, _ i: Int, _ part: String) throws -> String {
            let w = try layer.derivedWeight("in_proj_weight_\(part)", try weight.narrow(0, start: i * e, length: e).transpose(0, 1).contiguous())
            var y = layer.node("MatMul", [x, w])
            if let bias {
                y = layer.node("Add", [y, try layer.derivedWeight("in_proj_bias_\(part)", try bias.narrow(0, start: i * e, length: e))])
            }
            if i == 0 { y = layer.node("Mul", [y, try layer.constant("scale", [Float(1 / Double(headDim).squareRoot())], shape: [])]) }
            return layer.transpose(try layer.reshape(y, to: [0, heads, headDim]), [0, 2, 1, 3])
        }
        let q = try project(query, 0, "q"), k = try project(key, 1, "k"), v = try project(value, 2, "v")
        var scores = layer.node("MatMul", [q, layer.transpose(k, [0, 1, 3, 2])])
        if causal, let longest = layer.inputShape.first {
            let mask = try Tensor.full([longest, longest], -Double.infinity).triu(1)
            let length = layer.node("Shape", [query], [ONNXAttribute.int("start", 1), ONNXAttribute.int("end", 2)])
            let ends = layer.node("Concat", [length, length], [ONNXAttribute.int("axis", 0)])
            let square = layer.node("Slice", [try layer.derivedWeight("causal_mask", mask), try layer.int64s("mask_starts", [0, 0]),
                                              ends, try layer.int64s("mask_axes", [0, 1])])
            scores = layer.node("Add", [scores, square])
        }
        if let keyPaddingMask {
            // bool [N, S] → 0 or −∞ as [N, 1, 1, S], over every head and query.
            let additive = layer.node("Where", [keyPaddingMask, try layer.constant("masked", [-Float.infinity], shape: []),
                                                try layer.constant("kept", [0], shape: [])])
            scores = layer.node("Add", [scores, try layer.reshape(additive, to: [1, 1, -1])])
        }
        let weights = layer.node("Softmax", [scores], [ONNXAttribute.int("axis", -1)])
        let joined = try layer.reshape(layer.transpose(layer.node("MatMul", [weights, v]), [0, 2, 1, 3]), to: [0, e])
        return try layer.emit(child: "out_proj", input: joined, shape: layer.inputShape).value
    }
}
