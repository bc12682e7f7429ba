import Foundation
import FlintTrain
import Flint
import FlintNN

extension ONNXLayers {
    /// Convolutions, pools and normalisation layers. ONNX lists pads as all
    /// begins then all ends: `[h_begin, w_begin, h_end, w_end]`.
    static let spatial: [String: ONNXLayerMapping] = [
        "conv1d": { layer in try convolution(layer) },
        "conv2d": { layer in try convolution(layer) },
        "conv_transpose2d": { layer in
            let conv = try layer.module(as: ConvTranspose2d.self)
            guard case let .explicit(p) = conv.padding else { throw layer.unsupported("padding \(conv.padding)") }
            let inputs = [layer.input, try layer.requiredWeight("weight")] + (try layer.weight("bias").map { [$0] } ?? [])
            return layer.node("ConvTranspose", inputs, [
                ONNXAttribute.ints("kernel_shape", conv.kernelSize), ONNXAttribute.ints("strides", conv.stride),
                ONNXAttribute.ints("pads", p + p), ONNXAttribute.ints("dilations", conv.dilation),
                ONNXAttribute.int("group", conv.groups), ONNXAttribute.ints("output_padding", conv.outputPadding),
            ])
        },
        "max_pool1d": { layer in try maxPool(layer) },
        "max_pool2d": { layer in try maxPool(layer) },
        "avg_pool1d": { layer in
            let pool = try layer.module(as: AvgPool1d.self)
            return averagePool(layer, pool, countIncludePad: pool.countIncludePad)
        },
        "avg_pool2d": { layer in
            let pool = try layer.module(as: AvgPool2d.self)
            if let divisor = pool.divisorOverride { throw layer.unsupported("divisor_override \(divisor)") }
            return averagePool(layer, pool, countIncludePad: pool.countIncludePad)
        },
        "adaptive_avg_pool1d": { layer in try adaptivePool(layer, global: "GlobalAveragePool", windowed: "AveragePool") },
        "adaptive_avg_pool2d": { layer in try adaptivePool(layer, global: "GlobalAveragePool", windowed: "AveragePool") },
        "adaptive_max_pool2d": { layer in try adaptivePool(layer, global: "GlobalMaxPool", windowed: "MaxPool") },
        "batch_norm1d": { layer in try batchNorm(layer) },
        "batch_norm2d": { layer in try batchNorm(layer) },
        "layer_norm": { layer in
            let norm = try layer.module(as: LayerNorm.self)
            let scale = try layer.weight("weight")
                ?? layer.constant("scale", Array(repeating: 1, count: norm.normalizedShape.reduce(1, *)), shape: norm.normalizedShape)
            let inputs = [layer.input, scale] + (try layer.weight("bias").map { [$0] } ?? [])
            return layer.node("LayerNormalization", inputs, [
                ONNXAttribute.int("axis", -norm.normalizedShape.count), ONNXAttribute.float("epsilon", norm.eps),
            ])
        },
        // Opset 17 has no GroupNormalization: normalise each group of
        // [N, G, C/G·*] over its last axis, in basic ops with the biased
        // variance as PyTorch computes it, then scale and shift per channel.
        "group_norm": { layer in
            let norm = try layer.module(as: GroupNorm.self)
            let grouped = try layer.reshape(layer.input, to: [norm.numGroups, -1])
            let mean = layer.node("ReduceMean", [grouped], [ONNXAttribute.ints("axes", [2]), ONNXAttribute.int("keepdims", 1)])
            let centered = layer.node("Sub", [grouped, mean])
            let variance = layer.node("ReduceMean", [layer.node("Mul", [centered, centered])],
                                      [ONNXAttribute.ints("axes", [2]), ONNXAttribute.int("keepdims", 1)])
            let deviation = layer.node("Sqrt", [layer.node("Add", [variance, try layer.constant("eps", [Float(norm.eps)], shape: [])])])
            var y = try layer.reshape(layer.node("Div", [centered, deviation]), to: layer.inputShape)
            if let scale = try layer.weight("weight") { y = layer.node("Mul", [y, try perChannel(layer, scale)]) }
            if let shift = try layer.weight("bias") { y = layer.node("Add", [y, try perChannel(layer, shift)]) }
            return y
        },
    ]

    static func convolution(_ layer: ONNXLayerContext) throws -> String {
        let conv = try layer.module(as: ConvolutionBase.self)
        let pads: [Int]
        switch conv.padding {
        case let .explicit(p): pads = p + p
        case .valid: pads = conv.kernelSize.map { _ in 0 } + conv.kernelSize.map { _ in 0 }
        case .same:
            // PyTorch puts the odd extra pixel of 'same' padding at the end.
            let total = zip(conv.kernelSize, conv.dilation).map { k, d in d * (k - 1) }
            pads = total.map { $0 / 2 } + total.map { $0 - $0 / 2 }
        }
        let inputs = [layer.input, try layer.requiredWeight("weight")] + (try layer.weight("bias").map { [$0] } ?? [])
        return layer.node("Conv", inputs, [
            ONNXAttribute.ints("kernel_shape", conv.kernelSize), ONNXAttribute.ints("strides", conv.stride),
            ONNXAttribute.ints("pads", pads), ONNXAttribute.ints("dilations", conv.dilation), ONNXAttribute.int("group", conv.groups),
        ])
    }

    static func maxPool(_ layer: ONNXLayerContext) throws -> String {
        let pool = try layer.module(as: StridedPool.self)
        return layer.node("MaxPool", [layer.input], [
            ONNXAttribute.ints("kernel_shape", pool.kernelSize), ONNXAttribute.ints("strides", pool.stride),
            ONNXAttribute.ints("pads", pool.padding + pool.padding), ONNXAttribute.ints("dilations", pool.dilation),
            ONNXAttribute.int("ceil_mode", pool.ceilMode ? 1 : 0),
        ])
    }

    static func averagePool(_ layer: ONNXLayerContext, _ pool: StridedPool, countIncludePad: Bool) -> String {
        layer.node("AveragePool", [layer.input], [
            ONNXAttribute.ints("kernel_shape", pool.kernelSize), ONNXAttribute.ints("strides", pool.stride),
            ONNXAttribute.ints("pads", pool.padding + pool.padding), ONNXAttribute.int("ceil_mode", pool.ceilMode ? 1 : 0),
            ONNXAttribute.int("count_include_pad", countIncludePad ? 1 : 0),
        ])
    }

    /// Output size 1 is the global pool; an input that the output size divides
    /// is a plain pool with window = stride = input / output, which is what
    /// PyTorch's adaptive windows are then. Other sizes have overlapping,
    /// uneven windows that no ONNX pool expresses.
    static func adaptivePool(_ layer: ONNXLayerContext, global: String, windowed: String) throws -> String {
        let out = try layer.module(as: AdaptivePool.self).outputSize
        let spatialIn = Array(layer.inputShape.dropFirst())
        if out.allSatisfy({ $0 == 1 }) { return layer.node(global, [layer.input]) }
        guard zip(spatialIn, out).allSatisfy({ $0 % $1 == 0 }) else {
            throw layer.unsupported("output_size \(out) for input size \(spatialIn) (not a divisor)")
        }
        let window = zip(spatialIn, out).map { $0 / $1 }
        return layer.node(windowed, [layer.input], [ONNXAttribute.ints("kernel_shape", window), ONNXAttribute.ints("strides", window)])
    }

    /// Inference batch norm with the running statistics; scale 1 and shift 0
    /// stand in for the parameters of a non-affine layer.
    static func batchNorm(_ layer: ONNXLayerContext) throws -> String {
        let norm = try layer.module(as: BatchNormBase.self)
        guard norm.trackRunningStats else { throw layer.unsupported("track_running_stats=false (batch statistics at inference)") }
        let c = norm.numFeatures
        let scale = try layer.weight("weight") ?? layer.constant("scale", Array(repeating: 1, count: c), shape: [c])
        let shift = try layer.weight("bias") ?? layer.constant("shift", Array(repeating: 0, count: c), shape: [c])
        return layer.node("BatchNormalization",
                          [layer.input, scale, shift, try layer.requiredWeight("running_mean"), try layer.requiredWeight("running_var")],
                          [ONNXAttribute.float("epsilon", norm.eps)])
    }
}
