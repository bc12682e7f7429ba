"""Loss cases for the FlintNN fixtures: each loss with each reduction,
its value and the gradients of sum(loss * w) for every differentiable input."""
import torch
import torch.nn.functional as F

from nn_common import encode

REDUCTIONS = ["none", "mean", "sum"]


def _prob(enc, *shape, zeros=False):
    p = torch.softmax(enc.normal(*shape) * 2, dim=-1)
    if zeros:
        p[0, 0] = 0.0
        p = p / p.sum(dim=-1, keepdim=True)
    return p


def _sign(enc, n):
    return torch.where(enc.uniform(n) < 0, -1.0, 1.0)


def _specs(enc):
    """(type, inputs, which inputs get gradients, args, tensor args, reductions)."""
    x, y = enc.normal(3, 4), enc.normal(3, 4)
    probs, labels = enc.uniform(3, 4, lo=0.05, hi=0.95), enc.uniform(3, 4, lo=0.0, hi=1.0)
    logits, binary = enc.normal(3, 4) * 3, (enc.uniform(3, 4) > 0).float()
    logp = torch.log_softmax(enc.normal(3, 5), dim=-1)
    ce_x, ce_y = enc.normal(5, 4), enc.randint(0, 4, 5)
    ce_ignored = ce_y.clone()
    ce_ignored[1] = -100
    ce_prob = _prob(enc, 5, 4)
    sp_x, sp_y = enc.normal(2, 3, 4), enc.randint(0, 3, 2, 4)
    class_w = enc.uniform(4, lo=0.2, hi=2.0)
    nll_x = torch.log_softmax(enc.normal(5, 4), dim=-1)
    e1, e2 = enc.normal(5, 3), enc.normal(5, 3)
    r1, r2 = enc.normal(6), enc.normal(6)
    return [
        ("mse_loss", [x, y], [0, 1], {}, {}, REDUCTIONS),
        ("l1_loss", [x, y], [0, 1], {}, {}, REDUCTIONS),
        ("smooth_l1_loss", [x, y], [0, 1], {"beta": 1.0}, {}, REDUCTIONS),
        ("smooth_l1_loss", [x, y], [0, 1], {"beta": 0.5}, {}, REDUCTIONS),
        ("smooth_l1_loss", [x, y], [0, 1], {"beta": 0.0}, {}, ["mean"]),
        ("huber_loss", [x, y], [0, 1], {"delta": 1.0}, {}, REDUCTIONS),
        ("huber_loss", [x, y], [0, 1], {"delta": 0.3}, {}, REDUCTIONS),
        ("bce_loss", [probs, labels], [0], {}, {}, REDUCTIONS),
        ("bce_loss", [probs, labels], [0], {}, {"weight": enc.uniform(4, lo=0.5, hi=2.0)}, ["mean"]),
        ("bce_with_logits_loss", [logits, binary], [0], {}, {}, REDUCTIONS),
        ("bce_with_logits_loss", [logits, labels], [0, 1], {},
         {"pos_weight": enc.uniform(4, lo=0.5, hi=3.0), "weight": enc.uniform(4, lo=0.5, hi=2.0)}, REDUCTIONS),
        ("kl_div_loss", [logp, _prob(enc, 3, 5, zeros=True)], [0, 1], {}, {}, REDUCTIONS + ["batchmean"]),
        ("kl_div_loss", [logp, torch.log_softmax(enc.normal(3, 5), dim=-1)], [0, 1], {"log_target": True}, {},
         ["batchmean", "sum"]),
        ("cross_entropy_loss", [ce_x, ce_y], [0], {}, {}, REDUCTIONS),
        ("cross_entropy_loss", [ce_x, ce_ignored], [0], {"label_smoothing": 0.1}, {"weight": class_w}, REDUCTIONS),
        ("cross_entropy_loss", [ce_x, ce_prob], [0, 1], {}, {}, REDUCTIONS),
        ("cross_entropy_loss", [ce_x, ce_prob], [0], {"label_smoothing": 0.2}, {"weight": class_w}, REDUCTIONS),
        ("cross_entropy_loss", [sp_x, sp_y], [0], {}, {}, ["none", "mean"]),
        ("cross_entropy_loss", [enc.normal(4), torch.tensor(2)], [0], {}, {}, ["mean"]),
        ("nll_loss", [nll_x, ce_y], [0], {}, {}, REDUCTIONS),
        ("nll_loss", [nll_x, ce_ignored], [0], {}, {"weight": class_w}, REDUCTIONS),
        ("nll_loss", [torch.log_softmax(sp_x, dim=1), sp_y], [0], {}, {}, ["none", "mean"]),
        ("cosine_embedding_loss", [e1, e2, _sign(enc, 5)], [0, 1], {}, {}, REDUCTIONS),
        ("cosine_embedding_loss", [e1, e2, _sign(enc, 5)], [0, 1], {"margin": 0.2}, {}, ["mean"]),
        ("margin_ranking_loss", [r1, r2, _sign(enc, 6)], [0, 1], {"margin": 0.1}, {}, REDUCTIONS),
    ]


FUNCTIONS = {
    "mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "smooth_l1_loss": F.smooth_l1_loss, "huber_loss": F.huber_loss,
    "bce_loss": F.binary_cross_entropy, "bce_with_logits_loss": F.binary_cross_entropy_with_logits,
    "kl_div_loss": F.kl_div, "cross_entropy_loss": F.cross_entropy, "nll_loss": F.nll_loss,
    "cosine_embedding_loss": F.cosine_embedding_loss, "margin_ranking_loss": F.margin_ranking_loss,
}


def cases(enc):
    out = []
    for kind, inputs, grad_inputs, args, tensor_args, reductions in _specs(enc):
        for reduction in reductions:
            leaves = [t.detach().clone().requires_grad_(i in grad_inputs) for i, t in enumerate(inputs)]
            loss = FUNCTIONS[kind](*leaves, reduction=reduction, **args, **tensor_args)
            w = enc.normal(*loss.shape)
            (loss * w).sum().backward()
            out.append({"type": kind, "args": dict(args, reduction=reduction),
                        "tensor_args": {k: encode(v) for k, v in tensor_args.items()},
                        "inputs": [encode(t) for t in inputs], "output": encode(loss), "weight": encode(w),
                        "grads": [encode(t.grad) if t.grad is not None else None for t in leaves]})
    return out
