import Flint
import FlintNN
import FlintData

/// Loss and accuracy of a model over every batch of a loader, in eval mode
/// without recording gradients. Accuracy is reported for class-index targets.
public func evaluate(model: Module, loss: Loss, loader: DataLoader) throws -> [String: Double] {
    let wasTraining = model.training
    model.eval()
    defer { model.train(wasTraining) }
    loader.startEpoch()
    var totalLoss = 0.0, correct = 0, seen = 0
    var classification = false
    try noGrad {
        while let batch = try loader.next() {
            let out = try model(batch.x)
            let n = batch.indices.count
            totalLoss += try loss(out, batch.y).item() * Double(n)
            if out.rank == 2 && !batch.y.dtype.isFloatingPoint && batch.y.rank == 1 {
                classification = true
                correct += Int(try out.argmax(dim: 1).eq(batch.y).sum().item())
            }
            seen += n
        }
    }
    var metrics = ["loss": seen > 0 ? totalLoss / Double(seen) : .nan]
    if classification { metrics["accuracy"] = Double(correct) / Double(seen) }
    return metrics
}
