import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5

/// Turns a validated spec into live objects: the model (with every layer's
/// shape inferred and checked), the loss, the optimizer and scheduler, the
/// transforms and the data loaders. Problems are diagnostics at the line of
/// the entry that caused them.
public enum Builder {
    /// The loss of the spec.
    public static func loss(_ e: LossSpec) throws(SpecError) -> Loss {
        do {
            let reduction = Reduction(rawValue: e.string("reduction") ?? "mean") ?? .mean
            switch e.type {
            case "cross_entropy_loss":
                return CrossEntropyLoss(weight: try tensor(e, "weight"), ignoreIndex: e.int("ignore_index") ?? -100,
                                        reduction: reduction, labelSmoothing: e.double("label_smoothing") ?? 0)
            case "nll_loss":
                return NLLLoss(weight: try tensor(e, "weight"), ignoreIndex: e.int("ignore_index") ?? -100, reduction: reduction)
            case "bce_loss":
                return BCELoss(weight: try tensor(e, "weight"), reduction: reduction)
            case "bce_with_logits_loss":
                return BCEWithLogitsLoss(weight: try tensor(e, "weight"), reduction: reduction,
                                         posWeight: try tensor(e, "pos_weight"))
            case "kl_div_loss":
                return KLDivLoss(reduction: KLDivLoss.Reduction(rawValue: e.string("reduction") ?? "mean") ?? .mean,
                                 logTarget: e.bool("log_target") ?? false)
            case "mse_loss": return MSELoss(reduction: reduction)
            case "l1_loss": return L1Loss(reduction: reduction)
            case "smooth_l1_loss": return SmoothL1Loss(reduction: reduction, beta: e.double("beta") ?? 1)
            case "huber_loss": return HuberLoss(reduction: reduction, delta: e.double("delta") ?? 1)
            default: throw BuildProblem("there is no builder for loss type '\(e.type)'")
            }
        } catch {
            throw SpecError([.error(at: e.location, "\(error)", keyPath: e.keyPath)])
        }
    }

    /// A list field as a float32 tensor, nil when absent.
    private static func tensor(_ e: SpecEntry, _ field: String) throws -> Tensor? {
        try e.doubles(field).map { try Tensor($0.map { Float($0) }) }
    }

    /// The optimizer over `params`.
    public static func optimizer(_ e: OptimizerSpec, params: [Tensor]) throws(SpecError) -> Optimizer {
        let lr = e.double("lr") ?? 1e-3
        let betas = e.doubles("betas").map { ($0.first ?? 0.9, $0.last ?? 0.999) } ?? (0.9, 0.999)
        let eps = e.double("eps") ?? 1e-8
        let decay = e.double("weight_decay") ?? 0
        let maximize = e.bool("maximize") ?? false
        let decoupled = e.bool("decoupled_weight_decay") ?? false
        switch e.type {
        case "sgd":
            return SGD(params: params, lr: lr, momentum: e.double("momentum") ?? 0, dampening: e.double("dampening") ?? 0,
                       weightDecay: decay, nesterov: e.bool("nesterov") ?? false, maximize: maximize)
        case "adam":
            return Adam(params: params, lr: lr, betas: betas, eps: eps, weightDecay: decay,
                        amsgrad: e.bool("amsgrad") ?? false, maximize: maximize, decoupledWeightDecay: decoupled)
        case "adamw":
            return AdamW(params: params, lr: lr, betas: betas, eps: eps, weightDecay: decay,
                         amsgrad: e.bool("amsgrad") ?? false, maximize: maximize)
        case "adamax":
            return Adamax(params: params, lr: lr, betas: betas, eps: eps, weightDecay: decay, maximize: maximize)
        case "nadam":
            return NAdam(params: params, lr: lr, betas: betas, eps: eps, weightDecay: decay,
                         momentumDecay: e.double("momentum_decay") ?? 4e-3, decoupledWeightDecay: decoupled, maximize: maximize)
        case "radam":
            return RAdam(params: params, lr: lr, betas: betas, eps: eps, weightDecay: decay, decoupledWeightDecay: decoupled,
                         maximize: maximize)
        case "rmsprop":
            return RMSprop(params: params, lr: lr, alpha: e.double("alpha") ?? 0.99, eps: eps, weightDecay: decay,
                           momentum: e.double("momentum") ?? 0, centered: e.bool("centered") ?? false, maximize: maximize)
        case "adagrad":
            return Adagrad(params: params, lr: lr, lrDecay: e.double("lr_decay") ?? 0, weightDecay: decay,
                           initialAccumulatorValue: e.double("initial_accumulator_value") ?? 0, eps: eps, maximize: maximize)
        case "adadelta":
            return Adadelta(params: params, lr: lr, rho: e.double("rho") ?? 0.9, eps: eps, weightDecay: decay,
                            maximize: maximize)
        default:
            throw SpecError([.error(at: e.location, "there is no builder for optimizer type '\(e.type)'", keyPath: e.keyPath)])
        }
    }

    /// The scheduler over `optimizer`.
    public static func scheduler(_ e: SchedulerSpec, optimizer: Optimizer) throws(SpecError) -> LRScheduler {
        do {
            return try makeScheduler(e, optimizer: optimizer)
        } catch let error as SpecError {
            throw error
        } catch {
            var message = "\(error)"
            if case TensorError.invalidArgument(_, let detail) = error { message = "\(e.type): \(detail)" }
            throw SpecError([.error(at: e.location, message, keyPath: e.keyPath)])
        }
    }

    private static func makeScheduler(_ e: SchedulerSpec, optimizer: Optimizer) throws -> LRScheduler {
        switch e.type {
        case "step_lr":
            return StepLR(optimizer: optimizer, stepSize: e.int("step_size") ?? 1, gamma: e.double("gamma") ?? 0.1)
        case "multi_step_lr":
            return MultiStepLR(optimizer: optimizer, milestones: e.ints("milestones") ?? [], gamma: e.double("gamma") ?? 0.1)
        case "exponential_lr":
            return ExponentialLR(optimizer: optimizer, gamma: e.double("gamma") ?? 1)
        case "cosine_annealing_lr":
            return CosineAnnealingLR(optimizer: optimizer, tMax: e.int("T_max") ?? 1, etaMin: e.double("eta_min") ?? 0)
        case "cosine_annealing_warm_restarts":
            return try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: e.int("T_0") ?? 1, tMult: e.int("T_mult") ?? 1,
                                                   etaMin: e.double("eta_min") ?? 0)
        case "linear_lr":
            return try LinearLR(optimizer: optimizer, startFactor: e.double("start_factor") ?? 1.0 / 3,
                                endFactor: e.double("end_factor") ?? 1, totalIters: e.int("total_iters") ?? 5)
        case "constant_lr":
            return try ConstantLR(optimizer: optimizer, factor: e.double("factor") ?? 1.0 / 3, totalIters: e.int("total_iters") ?? 5)
        case "polynomial_lr":
            return try PolynomialLR(optimizer: optimizer, totalIters: e.int("total_iters") ?? 5, power: e.double("power") ?? 1)
        case "one_cycle_lr":
            return try OneCycleLR(optimizer: optimizer, maxLR: e.doubles("max_lr") ?? [], totalSteps: e.int("total_steps"),
                                  epochs: e.int("epochs"), stepsPerEpoch: e.int("steps_per_epoch"),
                                  pctStart: e.double("pct_start") ?? 0.3,
                                  annealStrategy: OneCycleLR.AnnealStrategy(rawValue: e.string("anneal_strategy") ?? "cos") ?? .cos,
                                  cycleMomentum: e.bool("cycle_momentum") ?? true,
                                  baseMomentum: e.doubles("base_momentum") ?? [0.85],
                                  maxMomentum: e.doubles("max_momentum") ?? [0.95], divFactor: e.double("div_factor") ?? 25,
                                  finalDivFactor: e.double("final_div_factor") ?? 1e4, threePhase: e.bool("three_phase") ?? false)
        case "reduce_lr_on_plateau":
            return try ReduceLROnPlateau(optimizer: optimizer, mode: ReduceLROnPlateau.Mode(rawValue: e.string("mode") ?? "min") ?? .min,
                                         factor: e.double("factor") ?? 0.1, patience: e.int("patience") ?? 10,
                                         threshold: e.double("threshold") ?? 1e-4,
                                         thresholdMode: ReduceLROnPlateau.ThresholdMode(rawValue: e.string("threshold_mode") ?? "rel") ?? .rel,
                                         cooldown: e.int("cooldown") ?? 0, minLR: e.doubles("min_lr") ?? [0],
                                         eps: e.double("eps") ?? 1e-8)
        case "sequential_lr":
            var chain: [LRScheduler] = []
            for child in e.entries("schedulers") ?? [] { chain.append(try scheduler(child, optimizer: optimizer)) }
            return try SequentialLR(optimizer: optimizer, schedulers: chain, milestones: e.ints("milestones") ?? [])
        default:
            throw SpecError([.error(at: e.location, "there is no builder for scheduler type '\(e.type)'", keyPath: e.keyPath)])
        }
    }

    /// The transforms of a list. Random ones each get their own seed, `seed` plus their position.
    public static func transforms(_ entries: [TransformSpec], seed: UInt64 = 0) throws(SpecError) -> [Transform] {
        var out: [Transform] = []
        var diagnostics: [Diagnostic] = []
        for (index, e) in entries.enumerated() {
            let ownSeed = seed &+ UInt64(index)
            do {
                switch e.type {
                case "to_tensor": out.append(ToTensor())
                case "normalize": out.append(try Normalize(mean: e.doubles("mean") ?? [], std: e.doubles("std") ?? []))
                case "random_crop":
                    out.append(try RandomCrop(size: e.ints("size", count: 2) ?? [], padding: e.ints("padding"),
                                              padIfNeeded: e.bool("pad_if_needed") ?? false, fill: [e.double("fill") ?? 0],
                                              paddingMode: PaddingMode(rawValue: e.string("padding_mode") ?? "constant") ?? .constant,
                                              seed: ownSeed))
                case "random_horizontal_flip":
                    out.append(try RandomFlip(horizontal: true, p: e.double("p") ?? 0.5, seed: ownSeed))
                case "random_vertical_flip":
                    out.append(try RandomFlip(horizontal: false, p: e.double("p") ?? 0.5, seed: ownSeed))
                case "resize":
                    // Without `count` one number stays one number: torchvision's "shorter side".
                    out.append(try Resize(size: e.ints("size") ?? [], interpolation: interpolation(e),
                                          maxSize: e.int("max_size")))
                case "center_crop":
                    out.append(try CenterCrop(size: e.ints("size", count: 2) ?? []))
                case "random_rotation":
                    out.append(try RandomRotation(degrees: e.doubles("degrees") ?? [], interpolation: interpolation(e),
                                                  center: e.doubles("center"), fill: e.doubles("fill") ?? [0],
                                                  seed: ownSeed))
                case "random_affine":
                    out.append(try RandomAffine(degrees: e.doubles("degrees") ?? [], translate: e.doubles("translate"),
                                                scale: e.doubles("scale"), shear: e.doubles("shear"),
                                                interpolation: interpolation(e), center: e.doubles("center"),
                                                fill: e.doubles("fill") ?? [0], seed: ownSeed))
                case "color_jitter":
                    out.append(try ColorJitter(brightness: e.doubles("brightness") ?? [0],
                                               contrast: e.doubles("contrast") ?? [0],
                                               saturation: e.doubles("saturation") ?? [0],
                                               hue: e.doubles("hue") ?? [0], seed: ownSeed))
                case "random_erasing":
                    out.append(try RandomErasing(p: e.double("p") ?? 0.5, scale: e.doubles("scale") ?? [0.02, 0.33],
                                                 ratio: e.doubles("ratio") ?? [0.3, 3.3],
                                                 value: .constant(e.doubles("value") ?? [0]), seed: ownSeed))
                case "gaussian_noise":
                    out.append(try GaussianNoise(mean: e.double("mean") ?? 0, sigma: e.double("sigma") ?? 0.1,
                                                 clip: e.bool("clip") ?? true, seed: ownSeed))
                default:
                    diagnostics.append(.error(at: e.location, "transform type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath))
                }
            } catch {
                diagnostics.append(.error(at: e.location, "\(error)", keyPath: e.keyPath))
            }
        }
        if !diagnostics.isEmpty { throw SpecError(diagnostics) }
        return out
    }

    /// The schema allows only FlintData's spellings, so the fallback is never taken.
    private static func interpolation(_ e: TransformSpec) -> Interpolation {
        Interpolation(rawValue: e.string("interpolation") ?? "") ?? .bilinear
    }
}
