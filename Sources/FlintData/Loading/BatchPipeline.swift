import Flint

/// Turns rows read from a source into a `Batch`: each input's transforms, then
/// the target transforms. A random transform gets a generator seeded from its
/// own seed, the epoch seed, the batch index and its place in the list, so a
/// batch's augmentation depends on its position only: the same with or without
/// prefetching, and again after a resume.
struct BatchPipeline {
    let inputTransforms: [String: [Transform]]
    let targetTransforms: [Transform]
    let epochSeed: UInt64

    func batch(_ rows: SampleRows, positions: [Int], batchIndex: Int) throws -> Batch {
        var inputs: [(name: String, tensor: Tensor)] = []
        for (name, tensor) in rows.inputs {
            inputs.append((name, try apply(inputTransforms[name] ?? [], to: tensor, batchIndex: batchIndex, salt: 0)))
        }
        let y = try apply(targetTransforms, to: rows.y, batchIndex: batchIndex, salt: 1 << 32)
        return try Batch(inputs: inputs, y: y, indices: positions)
    }

    private func apply(_ transforms: [Transform], to tensor: Tensor, batchIndex: Int, salt: UInt64) throws -> Tensor {
        var x = tensor
        for (k, transform) in transforms.enumerated() {
            if let random = transform as? RandomTransform {
                let seed = mixSeed(random.seed, epochSeed, UInt64(truncatingIfNeeded: batchIndex), salt + UInt64(k))
                x = try random(x, generator: Generator(seed: seed))
            } else {
                x = try transform(x)
            }
        }
        return x
    }
}
