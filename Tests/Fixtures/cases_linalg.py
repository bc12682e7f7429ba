"""Matrix products and torch.linalg.

Decompositions are made deterministic where they are not unique: singular
and eigen vectors get the sign that makes their first row non-negative
(the Swift test applies the same rule), and matrices that must be
invertible or positive-definite are built from the random input as
A + shift·I or A·Aᵀ + n·I (also mirrored in the Swift test)."""
import torch

from common import F, I, V, entry

# Flint runs LAPACK in float64 while PyTorch's float32 LAPACK rounds in float32.
LAPACK32 = (1e-4, 1e-5)
EPS32 = 2.0 ** -23


def shifted(a, shift):
    """A + shift·I, with I the m×n identity when A is not square."""
    return a + shift * torch.eye(a.shape[-2], a.shape[-1], dtype=a.dtype)


def spd(a):
    return a @ a.mT + a.shape[-1] * torch.eye(a.shape[-1], dtype=a.dtype)


def sign_fix(v, *others):
    s = torch.where(v[..., :1, :] < 0, -1.0, 1.0).to(v.dtype)
    return v * s


def svd_fixed(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    sign = torch.where(u[..., :1, :] < 0, -1.0, 1.0).to(a.dtype)
    return u * sign, s, vh * sign.mT


def eigh_fixed(a):
    l, v = torch.linalg.eigh(spd(a))
    sign = torch.where(v[..., :1, :] < 0, -1.0, 1.0).to(a.dtype)
    return l, v * sign


# A matrix with a complex conjugate pair of eigenvalues and a real one.
ROTATING = V([0.0, -2.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 3.0], [3, 3])


def eig_canonical(values, vectors=None):
    """eig's results are unique only up to order and each eigenvector's phase: sorts the
    eigenvalues by (real, imaginary) part, rotates each eigenvector so that its largest
    component is real and positive, and returns both as torch.view_as_real pairs
    (the Swift test applies the same rule)."""
    n = values.shape[-1]
    flat_values = values.reshape(-1, n)
    flat_vectors = vectors.reshape(-1, n, n) if vectors is not None else None
    out_values, out_vectors = [], []
    for b in range(flat_values.shape[0]):
        order = sorted(range(n), key=lambda i: (flat_values[b, i].real.item(), flat_values[b, i].imag.item()))
        out_values.append(flat_values[b, order])
        if flat_vectors is not None:
            cols = flat_vectors[b][:, order]
            top = cols[cols.abs().argmax(dim=0), torch.arange(n)]
            out_vectors.append(cols * (top.conj() / top.abs()))
    canonical_values = torch.view_as_real(torch.stack(out_values).reshape(values.shape))
    if vectors is None:
        return (canonical_values,)
    return canonical_values, torch.view_as_real(torch.stack(out_vectors).reshape(vectors.shape))


def lstsq_matrix(a, shift=0.0, deficient=False):
    """The A that lstsq solves with: shifted by shift·I (well conditioned: a random square
    matrix may be nearly singular), then with `deficient` the last column of its first matrix
    zeroed, so that it has rank n - 1 (the Swift test builds the same matrix)."""
    a = shifted(a, shift)
    if deficient:
        mask = torch.ones(a.shape, dtype=a.dtype)
        mask[(0,) * (a.dim() - 2) + (..., -1)] = 0
        a = a * mask
    return a


def lstsq(a, b, driver, deficient=False, rcond=None, shift=0.0):
    """All four fields of torch.linalg.lstsq of lstsq_matrix(a) and b."""
    return tuple(torch.linalg.lstsq(lstsq_matrix(a, shift, deficient), b, rcond=rcond, driver=driver))


def lstsq_tol(a, b, driver, deficient=False, rcond=None, shift=0.0):
    """(rtol, atol) for a float32 least-squares problem. A backward-stable solver in float32
    errs by about ε·κ² relative to the solution's size (κ = σ_max/σ_min of A's nonzero part;
    the square is the residual's share, Golub & Van Loan §5.3): the tolerance is that with a
    factor 16 for the constants, and LAPACK32 for the well-conditioned matrices the shift gives.
    atol scales with the largest of the solution and A's singular values."""
    m = lstsq_matrix(a.detach().double(), shift, deficient)
    try:
        x = torch.linalg.lstsq(m, b.detach().double(), driver="gelsy").solution
    except RuntimeError:
        return LAPACK32  # a case PyTorch refuses: no values to compare
    if m.numel() == 0:
        return LAPACK32
    s = torch.linalg.svdvals(m)
    top = s.amax(-1, keepdim=True)
    smallest = torch.where(s > top * 1e-6, s, torch.full_like(s, float("inf"))).amin(-1)
    kappa = (top.squeeze(-1) / smallest).max().item()
    scale = max(1.0, x.abs().max().item() if x.numel() else 0.0, top.max().item())
    rtol = max(LAPACK32[0], 16 * kappa ** 2 * EPS32)
    return rtol, max(LAPACK32[1], rtol * scale)


def lstsq_cases(driver):
    """Shapes for one driver: tall, wide, batched and broadcast, a single right-hand side,
    non-contiguous, empty, rank-deficient (not for gels, which assumes full rank, nor gelsy,
    below). Every A is shifted as linalg.inv's is."""
    D = "float64"
    cases = [([F(5, 3), F(5, 2)],), ([F(2, 4, 3, dtype=D), F(2, 4, 2, dtype=D)],), ([F(5, 3), F(5)],),
             ([F(3, 5, dtype=D), F(3, 2, dtype=D)],), ([F(5, 3, layout="t"), F(5, 2, layout="s")],),
             ([F(1, 4, 2, dtype=D), F(3, 4, 1, dtype=D)],), ([F(2, 5, 3), F(2, 5)],), ([F(5, 3), F(4, 2)],),
             ([F(0, 3), F(0, 2)],), ([F(3, 3), F(3)],)]
    if driver != "gels":
        # For gels see the entry of its own in linalg().
        cases.append(([F(4, 0), F(4, 2)],))
    if driver in ("gelsy", "gels"):
        # MKL's gelsd and gelss reject an empty right-hand side (PyTorch then fails or crashes).
        cases.append(([F(2, 3, 3), F(2, 3, 0)],))
    if driver in ("gelsd", "gelss"):
        # Not gelsy: PyTorch hands LAPACK's gelsy an uninitialised pivot array (jpvt), whose
        # nonzero entries pin columns in front, so on a rank-deficient matrix its rank and
        # solution change from call to call (rank 0 to n - 1 in 200 calls on the same input).
        cases += [([F(5, 3, dtype=D), F(5, 2, dtype=D)], {"deficient": True}), ([F(2, 5, 3), F(2, 5, 2)], {"deficient": True}),
                  ([F(3, 5, dtype=D), F(3, 2, dtype=D)], {"deficient": True})]
    return [(inputs, dict(args[0] if args else {}, driver=driver, shift=4.0)) for inputs, *args in cases]


def linalg():
    D = "float64"
    return [
        entry("mm", torch.mm, [([F(3, 4), F(4, 5)],), ([F(4, 3, layout="t"), F(4, 2, layout="s")],), ([F(0, 3), F(3, 2)],), ([I(2, 3), I(3, 2)],)]),
        entry("bmm", torch.bmm, [([F(2, 3, 4), F(2, 4, 5)],), ([F(2, 4, 3, layout="t"), F(2, 4, 2)],), ([I(2, 2, 3), I(2, 3, 2)],)]),
        entry("matmul", torch.matmul, [([F(4), F(4)],), ([F(3, 4), F(4)],), ([F(4), F(4, 2)],), ([F(2, 3, 4), F(4, 5)],),
                                       ([F(2, 3, 4), F(2, 4, 5)],), ([F(2, 1, 3, 4), F(3, 4, 2)],), ([F(4), F(2, 4, 3)],), ([F(2, 3, 4), F(4)],)]),
        entry("mv", torch.mv, [([F(3, 4), F(4)],), ([F(4, 3, layout="t"), F(4)],)]),
        entry("dot", torch.dot, [([F(5), F(5)],)]),
        entry("vdot", torch.vdot, [([F(5), F(5)],)]),
        entry("outer", torch.outer, [([F(3), F(4)],)]),
        entry("inner", torch.inner, [([F(2, 4), F(3, 4)],), ([F(4), F(4)],)]),
        entry("addmm", lambda c, a, b: torch.addmm(c, a, b), [([F(3, 5), F(3, 4), F(4, 5)],), ([F(5), F(3, 4, layout="t"), F(4, 5)],)]),
        entry("addmv", lambda c, a, b, **k: torch.addmv(c, a, b, **k), [([F(3), F(3, 4), F(4)], {"beta": 0.5, "alpha": 2.0})]),
        entry("addr", lambda c, a, b, **k: torch.addr(c, a, b, **k), [([F(3, 4), F(3), F(4)], {"beta": 2.0, "alpha": -1.0})]),
        entry("baddbmm", lambda c, a, b, **k: torch.baddbmm(c, a, b, **k), [([F(2, 3, 5), F(2, 3, 4), F(2, 4, 5)], {"beta": 0.5, "alpha": 1.5}), ([F(5), F(2, 3, 4), F(2, 4, 5)],)]),
        entry("addbmm", lambda c, a, b, **k: torch.addbmm(c, a, b, **k), [([F(3, 5), F(2, 3, 4), F(2, 4, 5)], {"beta": 0.5})]),
        entry("einsum", lambda *xs, equation: torch.einsum(equation, *xs),
              [([F(3, 4), F(4, 5)], {"equation": "ij,jk->ik"}), ([F(2, 3, 4), F(2, 4, 5)], {"equation": "bij,bjk->bik"}),
               ([F(3, 4)], {"equation": "ij->ji"}), ([F(3, 4)], {"equation": "ij->"}), ([F(3, 4)], {"equation": "ij->j"}),
               ([F(4), F(5)], {"equation": "i,j->ij"}), ([F(4), F(4)], {"equation": "i,i->"}), ([F(3, 4), F(3, 4)], {"equation": "ij,ij->i"}),
               ([F(2, 3, 4), F(4, 5), F(5)], {"equation": "bij,jk,k->bi"}), ([F(2, 3, 4), F(2, 5, 4)], {"equation": "bqd,bkd->bqk"}),
               ([F(3, 4), F(4, 5)], {"equation": "ij,jk"}), ([I(2, 3), I(3, 2)], {"equation": "ij,jk->ik"}),
               ([F(2, 3, 4), F(2, 4, 5)], {"equation": "...ij,...jk->...ik"}), ([F(2, 1, 3, 4), F(5, 4, 2)], {"equation": "...ij,...jk"}),
               ([F(2, 3, 4, layout="t")], {"equation": "...ij->...ji"}), ([F(2, 3, 4)], {"equation": "...i->i"}),
               ([F(3, 4, layout="s"), F(4)], {"equation": "i...,...->i"}), ([F(2, 3), F(2, 1)], {"equation": "b...,b...->b..."}),
               ([F(3, 1), F(3, 4, layout="s")], {"equation": "ij,ij->ij"}), ([F(2, 3, 4), F(4, 3)], {"equation": "b...i,iA->Ab..."}),
               ([F(2, 3), F(4, 3)], {"equation": "i...,j..."}), ([F(2, 3), F(3, 4)], {"equation": "ij,j..k->ik"}),
               # A subscript repeated within one operand: diagonals (implicit 'ii' is the trace).
               ([F(3, 3)], {"equation": "ii->i"}), ([F(3, 3)], {"equation": "ii"}), ([F(2, 3, 3)], {"equation": "bii->bi"}),
               ([F(2, 2, 3)], {"equation": "iij->j"}), ([F(2, 2, 3)], {"equation": "iij"}), ([F(4, 4, layout="t")], {"equation": "ii->i"}),
               ([F(3, 3, layout="e")], {"equation": "ii"}), ([F(2, 3, 2)], {"equation": "iji->j"}), ([F(2, 2, 2)], {"equation": "iii->i"}),
               ([F(2, 3, 3)], {"equation": "...ii->...i"}), ([F(3), F(3, 3)], {"equation": "i,ii->i"}), ([F(3, 3), F(3, 4)], {"equation": "ii,ij->j"}),
               ([F(2, 4, 4, layout="s"), F(4)], {"equation": "bjj,j->b"}), ([F(0, 0)], {"equation": "ii->i"}),
               ([F(3, 4)], {"equation": "ii->i"}), ([F(2, 2)], {"equation": "ii->ii"})]),
        entry("kron", torch.kron, [([F(2, 3), F(2, 2)],), ([F(3), F(2)],)]),
        entry("cross", lambda a, b, dim: torch.linalg.cross(a, b, dim=dim), [([F(4, 3), F(4, 3)], {"dim": 1}), ([F(3, 2), F(3, 2)], {"dim": 0})]),
        entry("tensordot", lambda a, b, dims: torch.tensordot(a, b, dims=dims), [([F(2, 3, 4), F(3, 4, 5)], {"dims": 2}), ([F(2, 3), F(3, 4)], {"dims": 1})]),
        entry("linalg.multi_dot", lambda *xs: torch.linalg.multi_dot(xs), [([F(2, 3), F(3, 4), F(4, 2)],)]),
        entry("linalg.inv", lambda a, shift: torch.linalg.inv(shifted(a, shift)), [([F(3, 3)], {"shift": 4.0}), ([F(2, 3, 3, dtype=D)], {"shift": 4.0})], tol=LAPACK32),
        entry("linalg.det", lambda a, shift: torch.linalg.det(shifted(a, shift)), [([F(3, 3)], {"shift": 2.0}), ([F(2, 4, 4, dtype=D)], {"shift": 1.0})], tol=LAPACK32),
        entry("linalg.slogdet", lambda a, shift: torch.linalg.slogdet(shifted(a, shift)), [([F(3, 3)], {"shift": -4.0}), ([F(2, 3, 3, dtype=D)], {"shift": 3.0})], tol=LAPACK32),
        entry("linalg.solve", lambda a, b, shift: torch.linalg.solve(shifted(a, shift), b),
              [([F(3, 3), F(3)], {"shift": 4.0}), ([F(3, 3), F(3, 2)], {"shift": 4.0}), ([F(2, 3, 3, dtype=D), F(2, 3, 2, dtype=D)], {"shift": 4.0})], tol=LAPACK32),
        entry("linalg.cholesky", lambda a: torch.linalg.cholesky(spd(a)), [([F(3, 3)],), ([F(2, 4, 4, dtype=D)],)], tol=LAPACK32),
        entry("linalg.qr", lambda a: torch.linalg.qr(a), [([F(3, 3)],), ([F(4, 3, dtype=D)],), ([F(2, 5, 3, dtype=D)],)], tol=LAPACK32),
        entry("linalg.svd", svd_fixed, [([F(3, 3)],), ([F(4, 3, dtype=D)],), ([F(3, 5, dtype=D)],)], tol=LAPACK32),
        entry("linalg.eigh", eigh_fixed, [([F(3, 3)],), ([F(2, 4, 4, dtype=D)],)], tol=LAPACK32),
        entry("linalg.eigvalsh", lambda a: torch.linalg.eigvalsh(spd(a)), [([F(3, 3)],)], tol=LAPACK32),
        entry("linalg.svdvals", lambda a: torch.linalg.svdvals(a), [([F(4, 3)],), ([F(2, 3, 5, dtype=D)],)], tol=LAPACK32),
        entry("linalg.pinv", lambda a: torch.linalg.pinv(a), [([F(4, 3, dtype=D)],), ([F(3, 5)],)], tol=LAPACK32),
        entry("linalg.matrix_power", lambda a, n, shift: torch.linalg.matrix_power(shifted(a, shift), n),
              [([F(3, 3)], {"n": 3, "shift": 0.0}), ([F(3, 3, dtype=D)], {"n": -2, "shift": 4.0}), ([F(2, 2)], {"n": 0, "shift": 0.0})], tol=LAPACK32),
        *[entry("linalg.lstsq", lstsq, lstsq_cases(driver), tol=lstsq_tol) for driver in ("gelsy", "gelsd", "gelss", "gels")],
        # gels zeroes B when A has no columns, so PyTorch's residuals are 0 while its gradient is that of ‖B‖²;
        # Flint's gradient follows the value (zero), so this case is compared forward only.
        entry("linalg.lstsq", lstsq, [([F(4, 0), F(4, 2)], {"driver": "gels"})], grad=False),
        # A large rcond truncates A's spectrum, which PyTorch's gradient (that of pinv(A) B) ignores: no finite
        # differences. Only the SVD drivers: gelsy's rank estimate then differs between MKL (PyTorch's) and reference LAPACK.
        entry("linalg.lstsq", lstsq, [([F(6, 4, dtype="float64"), F(6, 2, dtype="float64")], {"rcond": 0.3, "driver": d}) for d in ("gelsd", "gelss")],
              tol=LAPACK32, fd=False),
        # Not differentiable in Flint (no complex dtype): compared in the canonical form of eig_canonical.
        entry("linalg.eig", lambda a: eig_canonical(*torch.linalg.eig(a)),
              [([F(3, 3)],), ([F(2, 4, 4, dtype=D)],), ([ROTATING],), ([F(4, 4, layout="t", dtype=D)],), ([F(1, 1)],)], grad=False, tol=LAPACK32),
        entry("linalg.eigvals", lambda a: eig_canonical(torch.linalg.eigvals(a))[0],
              [([F(5, 5)],), ([ROTATING],), ([F(3, 2, 2, dtype=D)],), ([F(3, 4)],)], grad=False, tol=LAPACK32),
        entry("linalg.matrix_rank", lambda a, b: torch.linalg.matrix_rank(a @ b), [([F(4, 2), F(2, 5)],), ([F(3, 3), F(3, 3)],)], grad=False),
        entry("linalg.vector_norm", lambda x, **k: torch.linalg.vector_norm(x, **k), [([F(3, 4)],), ([F(3, 4)], {"ord": 1.0, "dim": [1]}), ([F(3, 4)], {"ord": float("inf"), "dim": [0]})]),
        entry("linalg.matrix_norm", lambda x, **k: torch.linalg.matrix_norm(x, **k),
              [([F(3, 4)],), ([F(3, 4, dtype=D)], {"ord": "nuc"}), ([F(3, 4, dtype=D)], {"ord": 2}), ([F(2, 3, 4)], {"ord": 1}), ([F(3, 4)], {"ord": float("inf")})], tol=LAPACK32),
        entry("linalg.norm", lambda x, **k: torch.linalg.norm(x, **k), [([F(3, 4)],), ([F(5)],)]),
    ]


def families():
    return {"linalg": linalg()}
