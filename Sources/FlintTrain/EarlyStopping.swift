import FlintSpec

/// Stops training when a monitored metric stops improving, with the semantics
/// of PyTorch Lightning's `EarlyStopping` callback (2.x): the same arguments,
/// the same decision at every check, and the same state in checkpoints.
///
/// Lightning keeps logged metrics as float32 tensors and compares
/// `current ∓ min_delta` with the best score in float32; so does this, so a
/// history that Lightning stops on stops here at the same epoch.
public struct EarlyStopping {
    /// Whether lower or higher is better.
    public typealias Mode = MetricMode
    /// Lightning's `EarlyStopping` arguments; the spec's `train.early_stopping` is the same type.
    public typealias Config = EarlyStoppingSpec

    public let config: Config
    /// Consecutive checks without improvement (`wait_count`).
    public private(set) var waitCount = 0
    /// The best value seen (`best_score`), ±infinity before the first check.
    public private(set) var bestScore: Float
    /// The epoch (1-based) at which it asked to stop, 0 while it has not (`stopped_epoch`).
    public private(set) var stoppedEpoch = 0

    public init(_ config: Config) {
        self.config = config
        bestScore = config.mode == .min ? .infinity : -.infinity
    }

    /// Lightning's `monitor_op`: strictly better.
    private func better(_ a: Float, _ b: Float) -> Bool { config.mode == .min ? a < b : a > b }

    /// Lightning flips the sign of `min_delta` for `min` so one formula serves both modes.
    private var signedDelta: Float { config.mode == .min ? -Float(config.minDelta) : Float(config.minDelta) }

    /// One check (`_evaluate_stopping_criteria`) at the end of `epoch`:
    /// whether to stop, and why in words when it stops.
    public mutating func check(_ value: Double, epoch: Int) -> (stop: Bool, reason: String?) {
        let current = Float(value)
        var stop = false
        var reason: String?
        if config.checkFinite && !current.isFinite {
            stop = true
            reason = "\(config.monitor) = \(current) is not finite; the best was \(bestScore)"
        } else if let threshold = config.stoppingThreshold, better(current, Float(threshold)) {
            stop = true
            reason = "\(config.monitor) = \(current) reached the stopping threshold \(threshold)"
        } else if let threshold = config.divergenceThreshold, better(-current, -Float(threshold)) {
            stop = true
            reason = "\(config.monitor) = \(current) passed the divergence threshold \(threshold)"
        } else if better(current - signedDelta, bestScore) {
            bestScore = current
            waitCount = 0
        } else {
            waitCount += 1
            if waitCount >= config.patience {
                stop = true
                reason = "\(config.monitor) did not improve in the last \(waitCount) checks; the best was \(bestScore)"
            }
        }
        if stop { stoppedEpoch = epoch }
        return (stop, reason)
    }

    /// State for checkpoints, by Lightning's names.
    public var state: [String: Double] {
        ["wait_count": Double(waitCount), "best_score": Double(bestScore), "stopped_epoch": Double(stoppedEpoch)]
    }

    public mutating func restore(_ state: [String: Double]) {
        if let w = state["wait_count"] { waitCount = Int(w) }
        if let b = state["best_score"] { bestScore = Float(b) }
        if let s = state["stopped_epoch"] { stoppedEpoch = Int(s) }
    }
}

/// Whether a larger value of a metric is better, judged by its name, so that
/// "best" needs no configuration for the usual metrics.
public enum MetricDirection {
    public static func mode(of metric: String) -> EarlyStopping.Mode {
        MetricMode(of: metric)
    }

    public static func isBetter(_ a: Double, than b: Double, mode: EarlyStopping.Mode) -> Bool {
        mode == .min ? a < b : a > b
    }
}
