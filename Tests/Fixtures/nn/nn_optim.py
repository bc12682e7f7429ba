"""Optimizer, gradient-clipping and LR-scheduler cases for the FlintNN fixtures."""
import warnings

import torch

from nn_common import encode

STEPS = 20
SHAPES = [(2, 3), (4,)]

# (type, constructor args by PyTorch name, per-group overrides or None, dtype)
OPTIMIZERS = [
    ("sgd", {"lr": 0.1}, None, "float32"),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, None, "float32"),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, None, "float32"),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, None, "float32"),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "maximize": True}, None, "float32"),
    ("sgd", {"lr": 0.1, "momentum": 0.9}, [{"momentum": 0.0}, {"lr": 0.01, "weight_decay": 0.1}], "float32"),
    ("adam", {"lr": 0.01}, None, "float32"),
    ("adam", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.1, "amsgrad": True}, None, "float32"),
    ("adam", {"lr": 0.01, "eps": 1e-6, "maximize": True}, None, "float32"),
    ("adam", {"lr": 0.01}, [{"weight_decay": 0.1, "lr": 0.02}, {"betas": [0.5, 0.9]}], "float32"),
    ("adam", {"lr": 0.01, "amsgrad": True}, None, "float64"),
    ("adamw", {"lr": 0.01}, None, "float32"),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, None, "float32"),
    ("rmsprop", {"lr": 0.01}, None, "float32"),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.9, "weight_decay": 0.01}, None, "float32"),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}, None, "float32"),
    ("adagrad", {"lr": 0.1}, None, "float32"),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, None, "float32"),
    ("adadelta", {}, None, "float32"),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}, None, "float32"),
    ("adamax", {"lr": 0.01}, None, "float32"),
    ("adamax", {"lr": 0.01, "betas": [0.8, 0.9], "weight_decay": 0.05}, None, "float32"),
    ("nadam", {"lr": 0.01}, None, "float32"),
    ("nadam", {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 0.01}, None, "float32"),
    ("nadam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}, None, "float32"),
    ("radam", {"lr": 0.01}, None, "float32"),
    ("radam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}, None, "float64"),
    # Per-group settings of every other optimizer, flags included.
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, [{"amsgrad": False}, {"lr": 0.02, "weight_decay": 0.0}],
     "float32"),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}, [{"centered": True}, {"alpha": 0.9, "momentum": 0.0, "weight_decay": 0.1}],
     "float32"),
    ("adagrad", {"lr": 0.1}, [{"initial_accumulator_value": 0.5}, {"lr_decay": 0.05, "eps": 1e-6}], "float32"),
    ("adadelta", {"lr": 0.5}, [{"rho": 0.5}, {"weight_decay": 0.1, "maximize": True}], "float32"),
    ("adamax", {"lr": 0.01}, [{"betas": [0.5, 0.9]}, {"lr": 0.05, "weight_decay": 0.1}], "float32"),
    ("nadam", {"lr": 0.01, "weight_decay": 0.05}, [{"decoupled_weight_decay": True}, {"momentum_decay": 0.01, "lr": 0.02}],
     "float32"),
    ("radam", {"lr": 0.01, "weight_decay": 0.05}, [{"decoupled_weight_decay": True}, {"betas": [0.8, 0.99]}], "float32"),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, [{"nesterov": True}, {"dampening": 0.5, "maximize": True}], "float32"),
]

CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta,
           "adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam}


def _torch_args(args):
    return {k: (tuple(v) if k == "betas" else v) for k, v in args.items()}


def optimizer_cases(enc):
    cases = []
    for kind, args, groups, dtype in OPTIMIZERS:
        dt = torch.float32 if dtype == "float32" else torch.float64
        params = [enc.uniform(*s, dtype=dt).requires_grad_(True) for s in SHAPES]
        initial = [encode(p) for p in params]
        if groups:
            spec = [dict(_torch_args(g), params=[p]) for g, p in zip(groups, params)]
        else:
            spec = params
        opt = CLASSES[kind](spec, **_torch_args(args))
        grads, after = [], []
        for _ in range(STEPS):
            step_grads = [enc.normal(*p.shape, dtype=dt) for p in params]
            for p, g in zip(params, step_grads):
                p.grad = g.clone()
            opt.step()
            grads.append([encode(g) for g in step_grads])
            after.append([encode(p) for p in params])
        state = []
        for p in params:
            state.append({k: encode(v if torch.is_tensor(v) else torch.tensor(v)) for k, v in opt.state[p].items()})
        cases.append({"type": kind, "args": args, "groups": groups, "params": initial, "grads": grads,
                      "expected": after, "state": state})
    return cases + clip_cases(enc)


def clip_cases(enc):
    cases = []
    for fn, args in [("clip_grad_norm", {"max_norm": 0.5, "norm_type": 2.0}),
                     ("clip_grad_norm", {"max_norm": 100.0, "norm_type": 2.0}),
                     ("clip_grad_norm", {"max_norm": 1.0, "norm_type": 1.0}),
                     ("clip_grad_norm", {"max_norm": 0.3, "norm_type": "inf"}),
                     ("clip_grad_norm", {"max_norm": 1.0, "norm_type": 3.0}),
                     ("clip_grad_value", {"clip_value": 0.5})]:
        params = [enc.uniform(*s).requires_grad_(True) for s in SHAPES]
        grads = [enc.normal(*s) for s in SHAPES]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        case = {"type": fn, "args": args, "params": [encode(p) for p in params], "grads": [[encode(g) for g in grads]]}
        if fn == "clip_grad_norm":
            norm_type = float("inf") if args["norm_type"] == "inf" else args["norm_type"]
            total = torch.nn.utils.clip_grad_norm_(params, args["max_norm"], norm_type=norm_type)
            case["total_norm"] = float(total)
        else:
            torch.nn.utils.clip_grad_value_(params, args["clip_value"])
        case["clipped"] = [encode(p.grad) for p in params]
        cases.append(case)
    return cases


# (type, args, optimizer type, optimizer args, metrics or None)
SCHEDULERS = [
    ("step_lr", {"step_size": 3, "gamma": 0.5}),
    ("multi_step_lr", {"milestones": [2, 5, 5, 11], "gamma": 0.5}),
    ("exponential_lr", {"gamma": 0.9}),
    ("cosine_annealing_lr", {"T_max": 7, "eta_min": 0.001}),
    ("cosine_annealing_lr", {"T_max": 20}),
    ("cosine_annealing_warm_restarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.01}),
    ("cosine_annealing_warm_restarts", {"T_0": 5}),
    ("linear_lr", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4}),
    ("linear_lr", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 10}),
    ("constant_lr", {"factor": 0.5, "total_iters": 4}),
    ("polynomial_lr", {"total_iters": 8, "power": 2.0}),
    ("one_cycle_lr", {"max_lr": 0.5, "total_steps": 20}),
    ("one_cycle_lr", {"max_lr": [0.5, 0.2], "total_steps": 20, "anneal_strategy": "linear", "three_phase": True,
                      "pct_start": 0.25}, "adam"),
    ("reduce_lr_on_plateau", {"patience": 2, "factor": 0.5, "cooldown": 1, "threshold": 0.01}),
    ("reduce_lr_on_plateau", {"mode": "max", "threshold_mode": "abs", "patience": 1, "min_lr": [0.02, 0.0]}),
    ("sequential_lr", {"milestones": [5], "schedulers": [("linear_lr", {"start_factor": 0.1, "total_iters": 5}),
                                                          ("cosine_annealing_lr", {"T_max": 15})]}),
    ("sequential_lr", {"milestones": [3, 10], "schedulers": [("constant_lr", {"factor": 0.5, "total_iters": 3}),
                                                              ("exponential_lr", {"gamma": 0.9}),
                                                              ("step_lr", {"step_size": 2})]}),
]

SCHEDULER_CLASSES = {
    "step_lr": torch.optim.lr_scheduler.StepLR, "multi_step_lr": torch.optim.lr_scheduler.MultiStepLR,
    "exponential_lr": torch.optim.lr_scheduler.ExponentialLR,
    "cosine_annealing_lr": torch.optim.lr_scheduler.CosineAnnealingLR,
    "cosine_annealing_warm_restarts": torch.optim.lr_scheduler.CosineAnnealingWarmRestarts,
    "linear_lr": torch.optim.lr_scheduler.LinearLR, "constant_lr": torch.optim.lr_scheduler.ConstantLR,
    "polynomial_lr": torch.optim.lr_scheduler.PolynomialLR, "one_cycle_lr": torch.optim.lr_scheduler.OneCycleLR,
    "reduce_lr_on_plateau": torch.optim.lr_scheduler.ReduceLROnPlateau,
}

GROUP_LRS = [0.1, 0.05]


def _make_scheduler(kind, args, opt):
    if kind == "sequential_lr":
        children = [_make_scheduler(k, a, opt) for k, a in args["schedulers"]]
        return torch.optim.lr_scheduler.SequentialLR(opt, children, milestones=args["milestones"])
    return SCHEDULER_CLASSES[kind](opt, **args)


def scheduler_cases(enc):
    cases = []
    warnings.simplefilter("ignore")
    for entry in SCHEDULERS:
        kind, args = entry[0], entry[1]
        opt_kind = entry[2] if len(entry) > 2 else "sgd"
        params = [enc.uniform(*s).requires_grad_(True) for s in SHAPES]
        opt_args = {"momentum": 0.9} if opt_kind == "sgd" else {}
        opt = CLASSES[opt_kind]([{"params": [p], "lr": lr} for p, lr in zip(params, GROUP_LRS)], **opt_args)
        sched = _make_scheduler(kind, args, opt)
        momentum_key = "betas" if opt_kind == "adam" else "momentum"

        def momenta():
            return [g[momentum_key][0] if momentum_key == "betas" else g[momentum_key] for g in opt.param_groups]

        lrs, moms, metrics = [[g["lr"] for g in opt.param_groups]], [momenta()], []
        for step in range(STEPS):
            opt.step()
            if kind == "reduce_lr_on_plateau":
                # A noisy curve with plateaus, so the patience logic has work to do.
                metric = round(1.0 / (1 + step // 3) + float(enc.uniform(1, lo=0.0, hi=0.05)), 6)
                metrics.append(metric)
                sched.step(metric)
            else:
                sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            moms.append(momenta())
        children = [{"type": k, "args": a} for k, a in args["schedulers"]] if kind == "sequential_lr" else None
        own_args = {k: v for k, v in args.items() if k != "schedulers"}
        cases.append({"type": kind, "args": own_args, "children": children, "optimizer": opt_kind,
                      "optimizer_args": opt_args, "group_lrs": GROUP_LRS, "metrics": metrics or None,
                      "lrs": lrs, "momenta": moms})
    return cases
