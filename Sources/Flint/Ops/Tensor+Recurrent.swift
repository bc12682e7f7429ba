import CFlintKernels

/// The LSTM recurrence as one differentiable primitive, as cuDNN and oneDNN run it: per step one GEMM
/// (h·W_hhᵀ) and one fused pass for the gate nonlinearities and the cell update; the backward reuses the
/// saved gate activations and computes the weight gradient of all steps in one GEMM.
/// Composed from elementwise ops instead, a step recorded a dozen graph nodes and as many temporaries.

/// What `lstmRecurrence` keeps for its backward rule.
struct LSTMSaved {
    /// Activations i, f, g, o of every step, `[L, N, 4H]`.
    let gates: Tensor
    /// The op's output `[2, L, N, H]` (detached: the node must not own its own output).
    let states: Tensor
    /// `W_hh` `[4H, H]`, `h0` and `c0` `[N, H]`, all contiguous.
    let weight: Tensor
    let h0: Tensor
    let c0: Tensor
    let reverse: Bool
}

extension Tensor {
    /// The recurrence of one LSTM layer in one direction: the part of `torch.nn.LSTM` after the input
    /// projection. Gates are stacked i, f, g, o as in PyTorch: with z = pre_t + h_{t−1}·W_hhᵀ,
    /// c_t = σ(z_f)⊙c_{t−1} + σ(z_i)⊙tanh(z_g) and h_t = σ(z_o)⊙tanh(c_t).
    ///
    /// - Parameters:
    ///   - self: `pre` `[L, N, 4H]`: x_t·W_ihᵀ + b_ih + b_hh for every step t (one GEMM for all steps).
    ///   - weightHH: `W_hh` `[4H, H]`.
    ///   - h0, c0: the initial states `[N, H]`.
    ///   - reverse: run from the last step to the first (the reverse direction of a bidirectional LSTM).
    /// - Returns: `[2, L, N, H]`: h_t (index 0) and c_t (index 1) of every step t, in time order.
    public func lstmRecurrence(weightHH: Tensor, h0: Tensor, c0: Tensor, reverse: Bool = false) throws -> Tensor {
        let op = "lstm"
        guard rank == 3, weightHH.rank == 2, shape[2] % 4 == 0, weightHH.shape == [shape[2], shape[2] / 4] else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weightHH.shape],
                                            detail: "expected pre-activations [L, N, 4·hidden] and weight_hh [4·hidden, hidden]")
        }
        let steps = shape[0], batch = shape[1], hidden = shape[2] / 4
        guard h0.shape == [batch, hidden], c0.shape == [batch, hidden] else {
            throw TensorError.shapeMismatch(op: op, shapes: [h0.shape, c0.shape, [batch, hidden]], detail: "h0, c0 and the expected state")
        }
        guard steps > 0 else { throw TensorError.invalidArgument(op: op, message: "expected a sequence of at least one step, got shape \(shape)") }
        guard dtype.isFloatingPoint, [weightHH, h0, c0].allSatisfy({ $0.dtype == dtype }) else {
            throw TensorError.badDType(op: op, dtype: dtype, detail: "pre-activations, weight and states must share one floating dtype")
        }
        let pre = contiguous(), w = weightHH.contiguous().detach()
        let h = h0.contiguous().detach(), c = c0.contiguous().detach()
        let gates = Tensor(empty: shape, dtype: dtype)
        let out = Tensor(empty: [2, steps, batch, hidden], dtype: dtype)
        func run<T: FloatElement>(_: T.Type) {
            let p = pre.pointer(T.self), wp = w.pointer(T.self), gp = gates.pointer(T.self), sp = out.pointer(T.self)
            let stateSize = batch &* hidden, gateSize = batch &* 4 &* hidden, cells = sp + steps &* stateSize
            for s in 0..<steps {
                let t = reverse ? steps &- 1 &- s : s, prev = reverse ? t &+ 1 : t &- 1
                let hPrev = s == 0 ? h.pointer(T.self) : sp + prev &* stateSize
                let cPrev = s == 0 ? c.pointer(T.self) : cells + prev &* stateSize
                blasGemm(transA: false, transB: true, m: batch, n: 4 &* hidden, k: hidden, hPrev, lda: hidden, wp, ldb: hidden,
                         gp + t &* gateSize, ldc: 4 &* hidden)
                lstmCell(p + t &* gateSize, gp + t &* gateSize, cPrev, cells + t &* stateSize, sp + t &* stateSize, batch, hidden)
            }
        }
        withExtendedLifetime(pre) { dtype == .float64 ? run(Double.self) : run(Float.self) }
        let saved = LSTMSaved(gates: gates, states: out.detach(), weight: w, h0: h, c0: c, reverse: reverse)
        return Autograd.record(out, .lstm(saved), inputs: [self, weightHH, h0, c0])
    }
}

extension LSTMSaved {
    /// Gradients for (pre, W_hh, h0, c0) given `g` = d(loss)/d(states) `[2, L, N, H]`, through time from the last
    /// step back to the first; those whose input `needed` says needs none are nil.
    func gradients(_ g: Tensor, needed: [Bool]) -> [Tensor?] {
        let steps = states.shape[1], batch = states.shape[2], hidden = states.shape[3]
        let gy = g.contiguous()
        let dpre = Tensor(empty: gates.shape, dtype: g.dtype)
        let dh = Tensor(empty: [batch, hidden], dtype: g.dtype), dc = Tensor(empty: [batch, hidden], dtype: g.dtype)
        let dw = needed[1] ? Tensor(empty: weight.shape, dtype: g.dtype) : nil
        func run<T: FloatElement>(_: T.Type) {
            let gyp = gy.pointer(T.self), gp = gates.pointer(T.self), sp = states.pointer(T.self), wp = weight.pointer(T.self)
            let dp = dpre.pointer(T.self), dhp = dh.pointer(T.self), dcp = dc.pointer(T.self)
            let stateSize = batch &* hidden, gateSize = batch &* 4 &* hidden, cells = sp + steps &* stateSize
            let gyCells = gyp + steps &* stateSize
            dcp.initialize(repeating: 0, count: stateSize)
            for s in stride(from: steps &- 1, through: 0, by: -1) {
                let t = reverse ? steps &- 1 &- s : s, prev = reverse ? t &+ 1 : t &- 1, next = reverse ? t &- 1 : t &+ 1
                // d h_t: from the output at t, and (but at the last step) through the next step's h_t·W_hhᵀ.
                dhp.update(from: gyp + t &* stateSize, count: stateSize)
                if s < steps &- 1 {
                    blasGemm(transA: false, transB: false, m: batch, n: hidden, k: 4 &* hidden, dp + next &* gateSize, lda: 4 &* hidden,
                             wp, ldb: hidden, beta: 1, dhp, ldc: hidden)
                }
                let gc = gyCells + t &* stateSize
                for j in 0..<stateSize { dcp[j] += gc[j] }
                let cPrev = s == 0 ? c0.pointer(T.self) : cells + prev &* stateSize
                lstmCellBackward(gp + t &* gateSize, cPrev, cells + t &* stateSize, dhp, dcp, dp + t &* gateSize, batch, hidden)
            }
            let first = reverse ? steps &- 1 : 0
            if let dw {
                // Σ_t dz_tᵀ·h_{t−1}: the steps after the first read the output sequence shifted by one, then h0.
                let later = (steps &- 1) &* batch
                if later > 0 {
                    blasGemm(transA: true, transB: false, m: 4 &* hidden, n: hidden, k: later, dp + (reverse ? 0 : gateSize), lda: 4 &* hidden,
                             sp + (reverse ? stateSize : 0), ldb: hidden, dw.pointer(T.self), ldc: hidden)
                }
                blasGemm(transA: true, transB: false, m: 4 &* hidden, n: hidden, k: batch, dp + first &* gateSize, lda: 4 &* hidden,
                         h0.pointer(T.self), ldb: hidden, beta: later > 0 ? 1 : 0, dw.pointer(T.self), ldc: hidden)
            }
            if needed[2] {
                blasGemm(transA: false, transB: false, m: batch, n: hidden, k: 4 &* hidden, dp + first &* gateSize, lda: 4 &* hidden,
                         wp, ldb: hidden, dhp, ldc: hidden)
            }
        }
        withExtendedLifetime(gy) { g.dtype == .float64 ? run(Double.self) : run(Float.self) }
        return [dpre, dw, needed[2] ? dh : nil, needed[3] ? dc : nil]
    }
}

/// One forward step of the fused cell (FlintRecurrent.h), float32 or float64.
@inline(__always)
private func lstmCell<T: FloatElement>(_ pre: UnsafePointer<T>, _ gates: UnsafeMutablePointer<T>, _ cPrev: UnsafePointer<T>,
                                       _ c: UnsafeMutablePointer<T>, _ h: UnsafeMutablePointer<T>, _ n: Int, _ hidden: Int) {
    if T.self == Double.self {
        flint_lstm_cell_f64(cast(pre), cast(gates), cast(cPrev), cast(c), cast(h), n, hidden)
    } else {
        flint_lstm_cell_f32(cast(pre), cast(gates), cast(cPrev), cast(c), cast(h), n, hidden)
    }
}

/// One backward step of the fused cell: `dc` holds d c_t on entry and d c_{t−1} on exit.
@inline(__always)
private func lstmCellBackward<T: FloatElement>(_ gates: UnsafePointer<T>, _ cPrev: UnsafePointer<T>, _ c: UnsafePointer<T>,
                                               _ dh: UnsafePointer<T>, _ dc: UnsafeMutablePointer<T>, _ dpre: UnsafeMutablePointer<T>,
                                               _ n: Int, _ hidden: Int) {
    if T.self == Double.self {
        flint_lstm_cell_backward_f64(cast(gates), cast(cPrev), cast(c), cast(dh), cast(dc), cast(dpre), n, hidden)
    } else {
        flint_lstm_cell_backward_f32(cast(gates), cast(cPrev), cast(c), cast(dh), cast(dc), cast(dpre), n, hidden)
    }
}

/// The same memory typed as a C kernel's element type (T is that type; the callers dispatch on it).
@inline(__always)
func cast<T, U>(_ p: UnsafePointer<T>) -> UnsafePointer<U> { UnsafeRawPointer(p).assumingMemoryBound(to: U.self) }
@inline(__always)
func cast<T, U>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<U> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self) }
