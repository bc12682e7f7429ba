#!/usr/bin/env python3
"""Writes lm_parity.json: a two-layer causal transformer language model trained
50 steps by PyTorch, for FlintTrainTests.LanguageModelParityTests to repeat through
`flint`'s trainer from the same initial weights on the same batches and compare.

The model is the spec

    - {type: embedding, name: wte, num_embeddings: V, embedding_dim: D}
    - {type: positional_embedding, name: wpe}
    - {type: transformer_encoder_layer, name: h0, nhead: 2, dim_feedforward: F, dropout: 0, causal: true, norm_first: true}
    - {type: transformer_encoder_layer, name: h1, ... the same}
    - {type: layer_norm, name: ln_f}
    - {type: linear, name: head, out_features: V, bias: false, tie_weights: wte}

in PyTorch: token and learned position embeddings, TransformerEncoderLayer with a
square subsequent mask and is_causal=True, a final LayerNorm and a head sharing
the token embedding's weight. The loss is cross-entropy per position over logits
[N, L, V] (PyTorch takes them as [N, V, L]). Batches are the non-overlapping windows
x = tokens[i·L : i·L+L], y = tokens[i·L+1 : i·L+L+1] in order (no shuffling),
batch_size windows at a time. It records the sinusoidal position table of
PyTorch's transformer tutorial, the token stream, the initial state dict,
the loss of every step and the final state dict.

    python3 Tests/Fixtures/train/lm_parity.py [--seed N]
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB, DIM, HEADS, FF, BLOCK, BATCH, STEPS = 11, 16, 2, 32, 8, 4, 50
LR = 3e-3


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Module()
        self.wpe.weight = nn.Parameter(torch.randn(BLOCK, DIM))
        for name in ["h0", "h1"]:
            setattr(self, name, nn.TransformerEncoderLayer(DIM, HEADS, FF, dropout=0.0, batch_first=True, norm_first=True))
        self.ln_f = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, x):
        length = x.shape[1]
        h = self.wte(x) + self.wpe.weight[:length]
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        for block in [self.h0, self.h1]:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.ln_f(h))


def sinusoids(max_len, dim):
    """PyTorch's transformer tutorial's PositionalEncoding table, [max_len, dim]."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    pe = torch.zeros(max_len, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def as_list(t):
    return t.detach().double().flatten().tolist()


def state(module):
    return {k: {"shape": list(v.shape), "values": as_list(v)} for k, v in module.state_dict().items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    # A stream with structure to learn: a noisy cycle through the vocabulary.
    length = STEPS * BATCH * BLOCK + 1
    steps = torch.randint(1, 3, (length,))
    tokens = torch.cumsum(steps, 0) % VOCAB
    model = LM()
    initial = state(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    losses = []
    for step in range(STEPS):
        starts = [(step * BATCH + b) * BLOCK for b in range(BATCH)]
        x = torch.stack([tokens[s:s + BLOCK] for s in starts])
        y = torch.stack([tokens[s + 1:s + BLOCK + 1] for s in starts])
        logits = model(x)
        loss = F.cross_entropy(logits.transpose(1, 2), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    out = {
        "vocab": VOCAB, "dim": DIM, "heads": HEADS, "feedforward": FF, "block": BLOCK, "batch": BATCH, "steps": STEPS,
        "lr": LR, "sinusoids": as_list(sinusoids(BLOCK, DIM)), "tokens": tokens.tolist(), "initial": initial, "losses": losses, "final": state(model),
    }
    with open(os.path.join(HERE, "lm_parity.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
