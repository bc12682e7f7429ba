import Foundation
import FlintTrain
import Flint
import FlintNN

extension ONNXLayers {
    /// Activations: an ONNX operator where one matches PyTorch's definition
    /// exactly, otherwise the formula from PyTorch's documentation in basic ops.
    static let activations: [String: ONNXLayerMapping] = [
        "relu": { layer in layer.node("Relu", [layer.input]) },
        "tanh": { layer in layer.node("Tanh", [layer.input]) },
        "sigmoid": { layer in layer.node("Sigmoid", [layer.input]) },
        "selu": { layer in layer.node("Selu", [layer.input]) },
        "softsign": { layer in layer.node("Softsign", [layer.input]) },
        "hardswish": { layer in layer.node("HardSwish", [layer.input]) },
        // relu6(x + 3) / 6 = clamp(x/6 + 1/2, 0, 1).
        "hardsigmoid": { layer in
            layer.node("HardSigmoid", [layer.input], [ONNXAttribute.float("alpha", 1.0 / 6), ONNXAttribute.float("beta", 0.5)])
        },
        "relu6": { layer in try clip(layer, 0, 6) },
        "hardtanh": { layer in
            let m = try layer.module(as: Hardtanh.self)
            return try clip(layer, m.minVal, m.maxVal)
        },
        "leaky_relu": { layer in
            layer.node("LeakyRelu", [layer.input], [ONNXAttribute.float("alpha", try layer.module(as: LeakyReLU.self).negativeSlope)])
        },
        "elu": { layer in layer.node("Elu", [layer.input], [ONNXAttribute.float("alpha", try layer.module(as: ELU.self).alpha)]) },
        "celu": { layer in layer.node("Celu", [layer.input], [ONNXAttribute.float("alpha", try layer.module(as: CELU.self).alpha)]) },
        // x·σ(x)
        "silu": { layer in layer.node("Mul", [layer.input, layer.node("Sigmoid", [layer.input])]) },
        // x·tanh(softplus(x))
        "mish": { layer in layer.node("Mul", [layer.input, layer.node("Tanh", [layer.node("Softplus", [layer.input])])]) },
        // log σ(x) = −softplus(−x)
        "log_sigmoid": { layer in layer.node("Neg", [layer.node("Softplus", [layer.node("Neg", [layer.input])])]) },
        // x − tanh(x)
        "tanhshrink": { layer in layer.node("Sub", [layer.input, layer.node("Tanh", [layer.input])]) },
        "softshrink": { layer in
            let l = try layer.module(as: Softshrink.self).lambd
            return layer.node("Shrink", [layer.input], [ONNXAttribute.float("lambd", l), ONNXAttribute.float("bias", l)])
        },
        "hardshrink": { layer in
            let l = try layer.module(as: Hardshrink.self).lambd
            return layer.node("Shrink", [layer.input], [ONNXAttribute.float("lambd", l), ONNXAttribute.float("bias", 0)])
        },
        // x where x > threshold, else value.
        "threshold": { layer in
            let m = try layer.module(as: Threshold.self)
            let above = layer.node("Greater", [layer.input, try layer.constant("threshold", [Float(m.threshold)], shape: [])])
            return layer.node("Where", [above, layer.input, try layer.constant("value", [Float(m.value)], shape: [])])
        },
        // log(1 + e^(βx)) / β, and x itself where βx > threshold.
        "softplus": { layer in
            let m = try layer.module(as: Softplus.self)
            let scaled = layer.node("Mul", [layer.input, try layer.constant("beta", [Float(m.beta)], shape: [])])
            let smooth = layer.node("Div", [layer.node("Softplus", [scaled]), try layer.constant("beta_divisor", [Float(m.beta)], shape: [])])
            let linear = layer.node("Greater", [scaled, try layer.constant("threshold", [Float(m.threshold)], shape: [])])
            return layer.node("Where", [linear, layer.input, smooth])
        },
        "gelu": { layer in try gelu(layer, layer.input, approximate: try layer.module(as: GELU.self).approximate == "tanh") },
        // a·σ(b) for the halves a, b of dim.
        "glu": { layer in
            let halves = layer.node("Split", [layer.input], [ONNXAttribute.int("axis", layer.axis(try layer.module(as: GLU.self).dim))], outputs: 2)
            return layer.node("Mul", [halves[0], layer.node("Sigmoid", [halves[1]])])
        },
        "softmax": { layer in
            layer.node("Softmax", [layer.input], [ONNXAttribute.int("axis", try layer.module(as: Softmax.self).dim)])
        },
        "log_softmax": { layer in
            layer.node("LogSoftmax", [layer.input], [ONNXAttribute.int("axis", try layer.module(as: LogSoftmax.self).dim)])
        },
        // softmax(−x)
        "softmin": { layer in
            layer.node("Softmax", [layer.node("Neg", [layer.input])], [ONNXAttribute.int("axis", try layer.module(as: Softmin.self).dim)])
        },
        // One slope, or one per channel (dim 1), broadcast over the dims after it.
        "prelu": { layer in layer.node("PRelu", [layer.input, try perChannel(layer, try layer.requiredWeight("weight"))]) },
    ]

    /// GELU of `x`: 0.5·x·(1 + erf(x/√2)), or with `approximate`
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    static func gelu(_ layer: ONNXLayerContext, _ x: String, approximate: Bool) throws -> String {
        let half = try layer.constant("half", [0.5], shape: []), one = try layer.constant("one", [1], shape: [])
        let inner: String
        if approximate {
            let cube = layer.node("Mul", [layer.node("Mul", [x, x]), x])
            let poly = layer.node("Add", [x, layer.node("Mul", [cube, try layer.constant("coefficient", [0.044715], shape: [])])])
            inner = layer.node("Tanh", [layer.node("Mul", [poly, try layer.constant("scale", [Float((2 / Double.pi).squareRoot())], shape: [])])])
        } else {
            inner = layer.node("Erf", [layer.node("Div", [x, try layer.constant("sqrt2", [Float(2.0.squareRoot())], shape: [])])])
        }
        return layer.node("Mul", [layer.node("Mul", [x, half]), layer.node("Add", [inner, one])])
    }

    /// A per-channel vector `[C]` reshaped to `[C, 1, …]` so that it broadcasts
    /// over dim 1 of the layer's input `[N, C, *]`.
    static func perChannel(_ layer: ONNXLayerContext, _ vector: String) throws -> String {
        guard layer.inputShape.count > 1 else { return vector }
        return layer.node("Reshape", [vector, try layer.int64s("channel_shape", [-1] + Array(repeating: 1, count: layer.inputShape.count - 1))])
    }

    /// Clip with scalar bounds (opset 11+ takes them as inputs).
    static func clip(_ layer: ONNXLayerContext, _ low: Double, _ high: Double) throws -> String {
        layer.node("Clip", [layer.input, try layer.constant("min", [Float(low)], shape: []), try layer.constant("max", [Float(high)], shape: [])])
    }
}
