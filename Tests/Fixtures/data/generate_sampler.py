"""Writes distributed_sampler.json: the indices torch.utils.data.DistributedSampler
gives each rank (shuffle=False, so over range(n)) for several dataset sizes,
world sizes and drop_last, for FlintDataTests.ShardTests. Run: python3 generate_sampler.py"""
import json
import os

import torch
from torch.utils.data import DistributedSampler

cases = []
for n in [0, 1, 2, 5, 7, 10, 16, 33]:
    for world in [1, 2, 3, 4, 8]:
        for drop_last in [False, True]:
            if n == 0 and not drop_last:
                continue  # torch pads from an empty list, which fails
            ranks = [list(DistributedSampler(range(n), num_replicas=world, rank=r, shuffle=False, drop_last=drop_last))
                     for r in range(world)]
            cases.append({"n": n, "world": world, "drop_last": drop_last, "ranks": ranks})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_sampler.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out}")
