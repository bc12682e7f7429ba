@testable import Flint

extension OpTable {
    static func reduction(_ a: Args) throws -> Reduction {
        guard let r = Reduction(rawValue: a.string("reduction", default: "mean")) else { throw FixtureError.missing("reduction") }
        return r
    }

    static let nn: [String: OpFunction] = [
        "conv2d": { x, a in
            [try x[0].conv2d(x[1], bias: x.count > 2 ? x[2] : nil, stride: a.ints("stride", default: [1]), padding: a.ints("padding", default: [0]),
                             dilation: a.ints("dilation", default: [1]), groups: a.int("groups", default: 1))]
        },
        "conv1d": { x, a in
            [try x[0].conv1d(x[1], bias: x.count > 2 ? x[2] : nil, stride: a.int("stride", default: 1), padding: a.int("padding", default: 0),
                             dilation: a.int("dilation", default: 1), groups: a.int("groups", default: 1))]
        },
        "conv_transpose2d": { x, a in
            [try x[0].convTranspose2d(x[1], bias: x.count > 2 ? x[2] : nil, stride: a.ints("stride", default: [1]), padding: a.ints("padding", default: [0]),
                                      outputPadding: a.ints("output_padding", default: [0]), groups: a.int("groups", default: 1),
                                      dilation: a.ints("dilation", default: [1]))]
        },
        "max_pool2d": { x, a in
            let r = try x[0].maxPool2dWithIndices(kernelSize: a.ints("kernel_size"), stride: a.optInts("stride"), padding: a.ints("padding", default: [0]),
                                                  dilation: a.ints("dilation", default: [1]), ceilMode: a.bool("ceil_mode"))
            return [r.values, r.indices]
        },
        "max_pool1d": { x, a in
            [try x[0].maxPool1d(kernelSize: a.int("kernel_size"), stride: a.optInt("stride"), padding: a.int("padding", default: 0),
                                dilation: a.int("dilation", default: 1), ceilMode: a.bool("ceil_mode"))]
        },
        "avg_pool2d": { x, a in
            [try x[0].avgPool2d(kernelSize: a.ints("kernel_size"), stride: a.optInts("stride"), padding: a.ints("padding", default: [0]),
                                ceilMode: a.bool("ceil_mode"), countIncludePad: a.bool("count_include_pad", default: true),
                                divisorOverride: a.optInt("divisor_override"))]
        },
        "avg_pool1d": { x, a in
            [try x[0].avgPool1d(kernelSize: a.int("kernel_size"), stride: a.optInt("stride"), padding: a.int("padding", default: 0),
                                ceilMode: a.bool("ceil_mode"), countIncludePad: a.bool("count_include_pad", default: true))]
        },
        "adaptive_avg_pool2d": { x, a in [try x[0].adaptiveAvgPool2d(outputSize: a.ints("output_size"))] },
        "adaptive_avg_pool1d": { x, a in [try x[0].adaptiveAvgPool1d(outputSize: a.int("output_size"))] },
        "adaptive_max_pool2d": { x, a in let r = try x[0].adaptiveMaxPool2dWithIndices(outputSize: a.ints("output_size")); return [r.values, r.indices] },
        "layer_norm": { x, a in
            [try x[0].layerNorm(a.ints("normalized_shape"), weight: x.count > 1 ? x[1] : nil, bias: x.count > 2 ? x[2] : nil)]
        },
        "batch_norm": { x, a in
            let rm = x[1].clone(), rv = x[2].clone()
            let out = try x[0].batchNorm(runningMean: rm, runningVar: rv, weight: x.count > 3 ? x[3] : nil, bias: x.count > 4 ? x[4] : nil,
                                         training: a.bool("training"), momentum: a.double("momentum", default: 0.1), eps: a.double("eps", default: 1e-5))
            return [out, rm, rv]
        },
        "group_norm": { x, a in [try x[0].groupNorm(numGroups: a.int("num_groups"), weight: x.count > 1 ? x[1] : nil, bias: x.count > 2 ? x[2] : nil)] },
        "instance_norm": { x, _ in [try x[0].instanceNorm(weight: x.count > 1 ? x[1] : nil, bias: x.count > 2 ? x[2] : nil)] },
        "rms_norm": { x, a in [try x[0].rmsNorm(a.ints("normalized_shape"), weight: x.count > 1 ? x[1] : nil, eps: a.optDouble("eps"))] },
        "linear": { x, _ in [try x[0].linear(x[1], bias: x.count > 2 ? x[2] : nil)] },
        "bilinear": { x, _ in [try x[0].bilinear(x[1], x[2], bias: x.count > 3 ? x[3] : nil)] },
        "embedding": { x, a in [try x[0].embedding(x[1], paddingIdx: a.optInt("padding_idx"))] },
        "scaled_dot_product_attention": { x, a in
            [try x[0].scaledDotProductAttention(x[1], x[2], attnMask: x.count > 3 ? x[3] : nil, isCausal: a.bool("is_causal"), scale: a.optDouble("scale"))]
        },
        "interpolate": { x, a in
            let scale = a.optDouble("scale_factor").map { [$0] }
            return [try x[0].interpolate(size: a.optInts("size"), scaleFactor: scale, mode: a.string("mode", default: "nearest"),
                                         alignCorners: a.raw["align_corners"] as? Bool)]
        },
        "cross_entropy": { x, a in
            [try x[0].crossEntropy(x[1], weight: x.count > 2 ? x[2] : nil, ignoreIndex: a.int("ignore_index", default: -100),
                                   reduction: reduction(a), labelSmoothing: a.double("label_smoothing", default: 0))]
        },
        "dropout": { x, a in [try x[0].dropout(p: a.double("p", default: 0.5), training: a.bool("training", default: true))] },
        "nll_loss": { x, a in
            [try x[0].nllLoss(x[1], weight: x.count > 2 ? x[2] : nil, ignoreIndex: a.int("ignore_index", default: -100), reduction: reduction(a))]
        },
        "mse_loss": { x, a in [try x[0].mseLoss(x[1], reduction: reduction(a))] },
        "l1_loss": { x, a in [try x[0].l1Loss(x[1], reduction: reduction(a))] },
        "smooth_l1_loss": { x, a in [try x[0].smoothL1Loss(x[1], reduction: reduction(a), beta: a.double("beta", default: 1))] },
        "huber_loss": { x, a in [try x[0].huberLoss(x[1], reduction: reduction(a), delta: a.double("delta", default: 1))] },
        "binary_cross_entropy": { x, a in [try x[0].binaryCrossEntropy(x[1], weight: x.count > 2 ? x[2] : nil, reduction: reduction(a))] },
        "binary_cross_entropy_with_logits": { x, a in
            [try x[0].binaryCrossEntropyWithLogits(x[1], reduction: reduction(a), posWeight: x.count > 2 ? x[2] : nil)]
        },
        "kl_div": { x, a in [try x[0].klDiv(x[1], reduction: a.string("reduction", default: "mean"), logTarget: a.bool("log_target"))] },
        "soft_margin_loss": { x, a in [try x[0].softMarginLoss(x[1], reduction: reduction(a))] },
        "margin_ranking_loss": { x, a in [try x[0].marginRankingLoss(x[1], x[2], margin: a.double("margin", default: 0), reduction: reduction(a))] },
        "hinge_embedding_loss": { x, a in [try x[0].hingeEmbeddingLoss(x[1], margin: a.double("margin", default: 1), reduction: reduction(a))] },
        "cosine_embedding_loss": { x, a in [try x[0].cosineEmbeddingLoss(x[1], x[2], margin: a.double("margin", default: 0), reduction: reduction(a))] },
    ]

    static let inplace: [String: OpFunction] = [
        "add_": { x, a in [try x[0].clone().add_(x[1], alpha: a.double("alpha", default: 1))] },
        "sub_": { x, _ in [try x[0].clone().sub_(x[1])] },
        "mul_": { x, _ in [try x[0].clone().mul_(x[1])] },
        "div_": { x, _ in [try x[0].clone().div_(x[1])] },
        "zero_": { x, _ in [try x[0].clone().zero_()] },
        "fill_": { x, a in [try x[0].clone().fill_(a.double("value"))] },
        "copy_": { x, _ in [try x[0].clone().copy_(x[1])] },
        "clamp_": { x, a in [try x[0].clone().clamp_(min: a.optDouble("min"), max: a.optDouble("max"))] },
        "relu_": { x, _ in [try x[0].clone().relu_()] },
        "masked_fill_": { x, a in [try x[0].clone().maskedFill_(x[1], value: a.double("value"))] },
    ]
}
