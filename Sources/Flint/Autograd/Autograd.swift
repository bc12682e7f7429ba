import Foundation

/// A recorded op in the autograd graph: the backward rule with what it
/// saved, and the inputs it flows gradients to.
public final class GradNode {
    /// Nil once the graph has been freed by a backward pass.
    var op: Backward?
    let inputs: [Tensor]
    let name: String
    /// Storage versions of the tensors the rule saved, in `savedTensors` order.
    /// Only the numbers are kept: holding the tensors here as well would tie a
    /// saved output to its own node in a cycle that outlives the graph.
    private let savedVersions: [Int]

    init(op: Backward, inputs: [Tensor]) {
        self.op = op
        self.inputs = inputs
        self.name = op.name
        self.savedVersions = savedTensors(in: op).map { $0.storage.version }
    }

    /// Throws PyTorch's error when a saved tensor was modified in place after it was saved.
    func checkSavedVersions() throws {
        guard let op else { return }
        for (t, v) in zip(savedTensors(in: op), savedVersions) where t.storage.version != v {
            throw TensorError.autograd("one of the variables needed for gradient computation has been modified by an inplace operation: [\(t.dtype) \(t.shape)], which is saved by \(name); is at version \(t.storage.version); expected version \(v) instead")
        }
    }
}

/// Every tensor held by a backward rule's associated values (directly, or in
/// optionals, arrays and structs such as `ConvSaved`), found by reflection so
/// that no rule has to list them twice.
private func savedTensors(in value: Any) -> [Tensor] {
    if let t = value as? Tensor { return [t] }
    if value is [Int] || value is [Double] || value is String { return [] }
    return Mirror(reflecting: value).children.flatMap { savedTensors(in: $0.value) }
}

/// Grad mode and the backward pass.
public enum Autograd {
    private static let modeKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether ops record the graph on this thread (`torch.is_grad_enabled()`).
    public static var isEnabled: Bool {
        get { pthread_getspecific(modeKey) == nil }
        set { pthread_setspecific(modeKey, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }

    /// Attaches `op` to `out` when grad mode is on and some input requires grad.
    @inline(__always)
    static func record(_ out: Tensor, _ op: @autoclosure () -> Backward, inputs: [Tensor]) -> Tensor {
        guard isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return out }
        out.gradFn = GradNode(op: op(), inputs: inputs)
        out.requiresGrad = true
        return out
    }
}

extension Tensor {
    /// `output`, computed from this tensor outside autograd, recorded as an op
    /// called `name` whose gradient rule is `backward` (d(loss)/d(output) to
    /// d(loss)/d(self)): `torch.autograd.Function` for ops the core cannot
    /// express, such as an allreduce across processes.
    public func recordingFunction(_ name: String, output: Tensor, backward: @escaping (Tensor) throws -> Tensor) -> Tensor {
        Autograd.record(output, .function(name: name, backward: backward), inputs: [self])
    }
}

/// Runs `body` with gradient recording off (`with torch.no_grad():`).
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    let was = Autograd.isEnabled
    Autograd.isEnabled = false
    defer { Autograd.isEnabled = was }
    return try body()
}

extension Tensor {
    /// Computes gradients of this tensor with respect to every leaf that
    /// requires grad, accumulating into their `.grad` (`tensor.backward()`).
    ///
    /// - Parameters:
    ///   - gradient: d(output)/d(self); may be omitted for one-element tensors.
    ///   - retainGraph: keep the graph for another backward pass.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        guard requiresGrad else {
            throw TensorError.autograd("element 0 of tensors does not require grad and does not have a grad_fn")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError.shapeMismatch(op: "backward", shapes: [gradient.shape, shape], detail: "gradient and output")
            }
            seed = gradient.detach()
        } else {
            guard count == 1 else {
                throw TensorError.autograd("grad can be implicitly created only for scalar outputs (shape \(shape))")
            }
            seed = Tensor.onesLike(self)
        }
        try noGrad { try Tensor.runBackward(root: self, seed: seed, retainGraph: retainGraph) }
    }

    private static func runBackward(root: Tensor, seed: Tensor, retainGraph: Bool) throws {
        // Topological order by iterative depth-first search from the root.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(root, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            if let node = t.gradFn {
                for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        for t in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else {
                // No gradient reached this node; still free what it saved.
                if !retainGraph { t.gradFn?.op = nil }
                continue
            }
            guard let node = t.gradFn else {
                if t.requiresGrad {
                    t.grad = try t.grad.map { try $0 + g } ?? g.clone()
                }
                continue
            }
            guard let op = node.op else {
                throw TensorError.autograd("trying to backward through the graph a second time (or directly access saved tensors after they have already been freed); pass retainGraph: true the first time")
            }
            try node.checkSavedVersions()
            let inputGrads = try op.gradients(g, inputs: node.inputs)
            if !retainGraph { node.op = nil }
            for (input, ig) in zip(node.inputs, inputGrads) {
                guard input.requiresGrad, let ig else { continue }
                // The one place where broadcast gradients are summed back to the input's shape.
                var grad = ig.shape == input.shape ? ig : try ig.sum(toShape: input.shape)
                if grad.dtype != input.dtype { grad = grad.casted(to: input.dtype) }
                let key = ObjectIdentifier(input)
                if let acc = grads[key] { grads[key] = try acc + grad } else { grads[key] = grad }
            }
        }
    }
}
