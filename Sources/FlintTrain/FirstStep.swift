import Flint
import FlintNN
import FlintSpec

/// One training step's forward and backward pass on the first batch, without an
/// optimizer step: the last thing that could stop training from starting.
/// The weights to start from are loaded first, as `flint train` loads them; the others
/// are zero, not drawn (`Init.Filling.zeros`), so that a check of a model of any size
/// takes no longer than its one step.
public struct FirstStep {
    public let input: [Int]
    /// The batched shape of every model output, in the order of `model.outputs`.
    public let outputs: [[Int]]
    public let loss: Double
    /// Where the starting weights came from and what the load found; nil without any.
    public let initialWeights: (source: InitialWeightsSpec, report: WeightsLoadReport)?
    /// What the run's data would warn about (as `flint train` warns).
    public let warnings: [Diagnostic]

    /// - Parameter initFrom: weights that replace `model.init_from` (`--init`).
    public init(spec: Spec, initFrom: InitialWeightsSpec?) throws {
        var plan = try Init.withFilling(.zeros) { () throws(SpecError) in try RunPlan(spec: spec, initialWeights: initFrom == nil) }
        warnings = plan.warnings
        if let initFrom { plan.initialWeightsReport = try loadInitialWeights(into: plan.model, from: initFrom) }
        if let report = plan.initialWeightsReport, let source = initFrom ?? spec.model.initFrom {
            initialWeights = (source, report)
        } else {
            initialWeights = nil
        }
        plan.model.train()
        plan.train.startEpoch()
        guard let batch = try plan.train.next() else {
            throw TrainError.badInput("the training split has no samples")
        }
        do {
            let outputs = try plan.objective.outputs(of: plan.model, batch.x)
            let value = try plan.objective(outputs, x: batch.x, y: batch.y)
            try value.backward()
            input = batch.x.shape
            self.outputs = outputs.map(\.shape)
            loss = try value.item()
        } catch {
            throw TrainError.badInput("the first batch (inputs \(batch.x.shape) \(batch.x.dtype), targets \(batch.y.shape) "
                                      + "\(batch.y.dtype)) failed in the forward or backward pass: \(error)")
        }
        guard loss.isFinite else {
            throw TrainError.badInput("the loss of the first batch is \(loss); check the data and the transforms")
        }
    }
}
