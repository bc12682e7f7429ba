import Foundation
import Flint

/// `RNN`, `LSTM` and `GRU`: multi-layer, optionally bidirectional recurrent
/// layers with PyTorch's parameter names, layouts and gate orders. RNN and GRU
/// are composed from core ops (autograd differentiates through time); LSTM runs
/// on the fused `lstmRecurrence` primitive.

/// What the three recurrent layers share: parameters, shapes and the
/// layer-by-layer, direction-by-direction loop over time.
public class RecurrentBase: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let numLayers = 1
        public static let nonlinearity = "tanh"
        public static let bias = true
        public static let batchFirst = false
        public static let dropout = 0.0
        public static let bidirectional = false
    }
    /// The cell each time step runs.
    enum Cell { case tanh, relu, lstm, gru }

    public let inputSize: Int, hiddenSize: Int, numLayers: Int
    public let bias: Bool, batchFirst: Bool, dropout: Double, bidirectional: Bool
    public let generator: Generator
    let cell: Cell
    let name: String

    /// Gate blocks stacked in each weight: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
    var gates: Int {
        switch cell {
        case .tanh, .relu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    var directions: Int { bidirectional ? 2 : 1 }

    init(name: String, cell: Cell, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
         dropout: Double, bidirectional: Bool, generator: Generator) throws {
        guard inputSize > 0, hiddenSize > 0, numLayers > 0 else {
            throw TensorError.invalidArgument(op: name, message: "input_size, hidden_size and num_layers must be positive, got \(inputSize), \(hiddenSize), \(numLayers)")
        }
        guard dropout >= 0 && dropout <= 1 else {
            throw TensorError.invalidArgument(op: name, message: "dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got \(dropout)")
        }
        self.name = name
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.generator = generator
        super.init()
        // PyTorch draws every parameter from U(±1/√hidden_size), in registration order.
        let bound = 1 / Double(hiddenSize).squareRoot()
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                let layerInput = layer == 0 ? inputSize : hiddenSize * directions
                let shapes = [("weight_ih", [gates * hiddenSize, layerInput]), ("weight_hh", [gates * hiddenSize, hiddenSize])]
                    + (bias ? [("bias_ih", [gates * hiddenSize]), ("bias_hh", [gates * hiddenSize])] : [])
                for (param, shape) in shapes {
                    registerParameter(param + suffix, try Init.uniform(shape, a: -bound, b: bound, generator: generator))
                }
            }
        }
    }

    override public var typeName: String { name }

    /// Per-sample input `[L, input_size]` (one sequence) gives `[L, D·hidden_size]`.
    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == inputSize else {
            throw layerShapeError(name, input, expected: "a per-sample sequence [L, input_size] with input_size = \(inputSize)")
        }
        return [input[0], hiddenSize * directions]
    }

    /// The output sequence only, as `output, _ = rnn(x)` in PyTorch.
    override public func forward(_ x: Tensor) throws -> Tensor { try forwardWithState(x).output }

    /// `[x]`, `[x, h0]` or (LSTM) `[x, h0, c0]`; returns the output sequence.
    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard (1...3).contains(inputs.count), let x = inputs.first else {
            throw TensorError.invalidArgument(op: name, message: "expects the input and optionally initial states, got \(inputs.count) tensors")
        }
        return try forwardWithState(x, hx: inputs.count > 1 ? inputs[1] : nil, cx: inputs.count > 2 ? inputs[2] : nil).output
    }

    /// The full forward: PyTorch's `output, h_n` (and `c_n` for LSTM).
    ///
    /// - Parameters:
    ///   - x: `[N, L, input_size]` if `batchFirst`, else `[L, N, input_size]`; or unbatched `[L, input_size]`.
    ///   - hx, cx: initial states `[num_layers·D, N, hidden_size]` (`[num_layers·D, hidden_size]` unbatched), zeros if nil.
    /// - Returns: the output `[N, L, D·hidden_size]` (batch-first) or `[L, N, D·hidden_size]`,
    ///   and the final states `[num_layers·D, N, hidden_size]`.
    public func forwardWithState(_ x: Tensor, hx: Tensor? = nil, cx: Tensor? = nil) throws -> (output: Tensor, hN: Tensor, cN: Tensor?) {
        let unbatched = x.rank == 2
        guard x.rank == 3 || unbatched, x.shape[x.rank - 1] == inputSize else {
            throw layerShapeError(name, x.shape, expected: batchFirst ? "an input [N, L, \(inputSize)] or [L, \(inputSize)]" : "an input [L, N, \(inputSize)] or [L, \(inputSize)]")
        }
        // Time-major [L, N, I] inside.
        let sequence = unbatched ? try x.unsqueeze(1) : (batchFirst ? try x.transpose(0, 1) : x)
        let steps = sequence.shape[0], batch = sequence.shape[1]
        let stateShape = [numLayers * directions, batch, hiddenSize]
        func initialState(_ given: Tensor?, _ what: String) throws -> Tensor {
            guard let given else { return try Tensor.zeros(stateShape, dtype: x.dtype) }
            let state = unbatched ? try given.unsqueeze(1) : given
            guard state.shape == stateShape else {
                throw TensorError.shapeMismatch(op: name, shapes: [given.shape, unbatched ? [stateShape[0], hiddenSize] : stateShape],
                                                detail: "\(what) and the expected initial state")
            }
            return state
        }
        let h0 = try initialState(hx, "hx")
        let c0 = cell == .lstm ? try initialState(cx, "cx") : nil
        if cell != .lstm && cx != nil {
            throw TensorError.invalidArgument(op: name, message: "only LSTM takes a cell state")
        }
        var layerInput = sequence
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let (out, h, c) = try runDirection(layerInput, layer: layer, direction: direction,
                                                   h0: h0.select(0, index), c0: c0.map { try $0.select(0, index) })
                outputs.append(out)
                finalH.append(h)
                if let c { finalC.append(c) }
            }
            layerInput = directions == 1 ? outputs[0] : try Tensor.cat(outputs, dim: 2)
            if layer < numLayers - 1 && dropout > 0 && training {
                layerInput = try layerInput.dropout(p: dropout, training: true, generator: generator)
            }
        }
        var output = layerInput
        var hN = try Tensor.stack(finalH, dim: 0)
        var cN = cell == .lstm ? try Tensor.stack(finalC, dim: 0) : nil
        if unbatched {
            output = try output.squeeze(1)
            hN = try hN.squeeze(1)
            cN = try cN.map { try $0.squeeze(1) }
        } else if batchFirst {
            output = try output.transpose(0, 1)
        }
        return (output, hN, cN)
    }

    /// One layer in one direction over `[L, N, in]`: the input projection of
    /// every step in one GEMM, then the recurrence step by step.
    private func runDirection(_ input: Tensor, layer: Int, direction: Int, h0: Tensor, c0: Tensor?) throws -> (Tensor, Tensor, Tensor?) {
        let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
        guard let wIH = parameter("weight_ih" + suffix), let wHH = parameter("weight_hh" + suffix) else {
            throw TensorError.invalidArgument(op: name, message: "missing weights for layer \(layer)")
        }
        let bIH = parameter("bias_ih" + suffix), bHH = parameter("bias_hh" + suffix)
        let steps = input.shape[0], batch = input.shape[1], hidden = hiddenSize
        if cell == .lstm, let c0 {
            // Both biases go into the one GEMM of every step's input projection; the recurrence is one primitive.
            let bias = try bIH.map { b in try bHH.map { try b + $0 } ?? b } ?? bHH
            let pre = try Functional.linear(input.reshape([steps * batch, input.shape[2]]), weight: wIH, bias: bias)
                .reshape([steps, batch, gates * hidden])
            let states = try pre.lstmRecurrence(weightHH: wHH, h0: h0, c0: c0, reverse: direction == 1)
            let hs = try states.select(0, 0), cs = try states.select(0, 1)
            // The reverse direction ends at the first step.
            let last = direction == 1 ? 0 : steps - 1
            return (hs, try hs.select(0, last), try cs.select(0, last))
        }
        let projected = try Functional.linear(input.reshape([steps * batch, input.shape[2]]), weight: wIH, bias: bIH)
            .reshape([steps, batch, gates * hidden])
        var h = h0, c = c0
        var outputs = [Tensor?](repeating: nil, count: steps)
        let order = direction == 0 ? Array(0..<steps) : Array((0..<steps).reversed())
        for t in order {
            let gx = try projected.select(0, t)
            let gh = try Functional.linear(h, weight: wHH, bias: bHH)
            switch cell {
            case .tanh: h = try (gx + gh).tanh()
            case .relu: h = try (gx + gh).relu()
            case .lstm:
                let g = try (gx + gh).chunk(4, dim: 1)
                let i = try g[0].sigmoid(), f = try g[1].sigmoid(), candidate = try g[2].tanh(), o = try g[3].sigmoid()
                let next = try f * (c ?? Tensor.zerosLike(h)) + i * candidate
                c = next
                h = try o * next.tanh()
            case .gru:
                let xs = try gx.chunk(3, dim: 1), hs = try gh.chunk(3, dim: 1)
                let r = try (xs[0] + hs[0]).sigmoid(), z = try (xs[1] + hs[1]).sigmoid()
                let n = try (xs[2] + r * hs[2]).tanh()
                h = try (1 - z) * n + z * h
            }
            outputs[t] = h
        }
        return (try Tensor.stack(outputs.compactMap { $0 }, dim: 0), h, c)
    }
}

/// `torch.nn.RNN`: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu.
public final class RNN: RecurrentBase {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = Defaults.numLayers, nonlinearity: String = Defaults.nonlinearity,
                bias: Bool = Defaults.bias, batchFirst: Bool = Defaults.batchFirst, dropout: Double = Defaults.dropout,
                bidirectional: Bool = Defaults.bidirectional, generator: Generator = .default) throws {
        guard nonlinearity == "tanh" || nonlinearity == "relu" else {
            throw TensorError.invalidArgument(op: "rnn", message: "unknown nonlinearity '\(nonlinearity)'; select from 'tanh' or 'relu'")
        }
        try super.init(name: "rnn", cell: nonlinearity == "tanh" ? .tanh : .relu, inputSize: inputSize, hiddenSize: hiddenSize,
                       numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
                       generator: generator)
    }

    /// `tanh` or `relu`, as given to `init`.
    public var nonlinearity: String { cell == .relu ? "relu" : "tanh" }
}

/// `torch.nn.LSTM`, gates stacked i, f, g, o: c' = f⊙c + i⊙g, h' = o⊙tanh(c').
public final class LSTM: RecurrentBase {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = Defaults.numLayers, bias: Bool = Defaults.bias,
                batchFirst: Bool = Defaults.batchFirst, dropout: Double = Defaults.dropout,
                bidirectional: Bool = Defaults.bidirectional, generator: Generator = .default) throws {
        try super.init(name: "lstm", cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }
}

/// `torch.nn.GRU`, gates stacked r, z, n: n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),
/// h' = (1 − z)⊙n + z⊙h.
public final class GRU: RecurrentBase {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = Defaults.numLayers, bias: Bool = Defaults.bias,
                batchFirst: Bool = Defaults.batchFirst, dropout: Double = Defaults.dropout,
                bidirectional: Bool = Defaults.bidirectional, generator: Generator = .default) throws {
        try super.init(name: "gru", cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }
}
