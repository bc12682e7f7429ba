"""Writes param_counts.json: the state-dict names, shapes and parameter counts of the
torch.nn modules equivalent to the shipped specs (models/*.yaml) and to the zoo specs
of this directory. SpecParameterCountTests builds each spec with Flint and compares.

Run from anywhere: python3 Tests/Fixtures/spec/param_counts.py
"""
import json
import os
from collections import OrderedDict

import torch
from torch import nn

torch.manual_seed(0)


def seq(*layers):
    """nn.Sequential whose children are named as the spec names them: (name, module) or module (its index)."""
    named = OrderedDict()
    for index, layer in enumerate(layers):
        name, module = layer if isinstance(layer, tuple) else (str(index), layer)
        named[name] = module
    return nn.Sequential(named)


def mnist_mlp():
    return seq(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def mnist_cnn():
    return seq(("conv1", nn.Conv2d(1, 16, 5, padding=2)), nn.ReLU(), nn.MaxPool2d(2),
               ("conv2", nn.Conv2d(16, 32, 5, padding=2)), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
               ("fc1", nn.Linear(32 * 7 * 7, 128)), nn.ReLU(), ("fc2", nn.Linear(128, 10)))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock without downsampling; children named as the spec's block names them."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


def mnist_resnet():
    return seq(("conv1", nn.Conv2d(1, 16, 3, padding=1, bias=False)), ("bn1", nn.BatchNorm2d(16)), nn.ReLU(),
               nn.MaxPool2d(2), ("layer1", nn.Sequential(BasicBlock(16), BasicBlock(16))),
               ("down", nn.Conv2d(16, 32, 3, stride=2, padding=1)),
               ("layer2", nn.Sequential(BasicBlock(32), BasicBlock(32))), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               ("fc", nn.Linear(32, 10)))


def mnist_lstm():
    return seq(nn.Flatten(1, 2), ("lstm", nn.LSTM(28, 64, batch_first=True)), nn.Flatten(),
               ("fc", nn.Linear(28 * 64, 10)))


def diabetes_tabular():
    return seq(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))


def digits_images():
    return seq(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 64),
               nn.ReLU(), nn.Linear(64, 10))


def wine_tabular():
    return seq(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 3))


class CharLM(nn.Module):
    """GPT-style: token and learned position embeddings, pre-norm causal encoder layers, a final
    LayerNorm and a head tied to the token embedding (listed in the state dict, counted once)."""

    def __init__(self, vocab, dim, heads, feedforward, layers, block):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Module()
        self.wpe.weight = nn.Parameter(torch.zeros(block, dim))
        for i in range(layers):
            setattr(self, f"h{i}", nn.TransformerEncoderLayer(dim, heads, feedforward, dropout=0.0, activation="gelu",
                                                              batch_first=True, norm_first=True))
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight


def fortunes_char_lm():
    return CharLM(vocab=114, dim=128, heads=4, feedforward=512, layers=5, block=64)


class TopicClassifier(nn.Module):
    """Token and learned position embeddings, an encoder layer given src_key_padding_mask = tokens == 1
    (<pad>), the mean over the positions that are not padding and a linear head (fortunes_topics.yaml)."""

    def __init__(self, vocab, dim, heads, feedforward, length, classes):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=1)
        self.pos = nn.Module()
        self.pos.weight = nn.Parameter(torch.zeros(length, dim))
        self.enc = nn.TransformerEncoderLayer(dim, heads, feedforward, batch_first=True)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        mask = tokens == 1
        h = self.enc(self.emb(tokens) + self.pos.weight[: tokens.shape[1]], src_key_padding_mask=mask)
        keep = (~mask).float()[..., None]
        return self.head((h * keep).sum(1) / keep.sum(1))


def fortunes_topics():
    return TopicClassifier(vocab=40567, dim=64, heads=4, feedforward=128, length=128, classes=43)


def zoo_sequence():
    # A graph in the spec; only the named children matter for the state dict.
    return seq(("gru", nn.GRU(8, 12, num_layers=2, bidirectional=True, batch_first=True)),
               ("ln", nn.LayerNorm(24)),
               ("enc", nn.TransformerEncoderLayer(24, 4, dim_feedforward=32, batch_first=True)),
               ("attn", nn.MultiheadAttention(24, 2, batch_first=True)),
               ("rnn", nn.RNN(24, 5, nonlinearity="relu", batch_first=True)),
               ("lstm", nn.LSTM(24, 7, num_layers=2, batch_first=True)),
               ("bil", nn.Bilinear(5, 7, 3)),
               ("conv", nn.Conv1d(6, 4, 3)),
               ("bn", nn.BatchNorm1d(4)),
               ("prelu", nn.PReLU(4)),
               nn.Flatten(),
               ("head", nn.Linear(4, 2)))


def zoo_image():
    return seq(("c1", nn.Conv2d(3, 8, 3)), ("gn", nn.GroupNorm(2, 8)), ("up", nn.ConvTranspose2d(8, 4, 2, stride=2)),
               ("bn", nn.BatchNorm2d(4, affine=False)), ("grouped", nn.Conv2d(4, 8, 3, groups=4, bias=False)),
               nn.AvgPool2d(2), nn.AdaptiveMaxPool2d((2, 3)), nn.Flatten(), ("fc", nn.Linear(8 * 2 * 3, 5, bias=False)))


def zoo_text():
    return seq(("emb", nn.Embedding(100, 16, padding_idx=0)), ("lstm", nn.LSTM(16, 8, bidirectional=True, batch_first=True)),
               nn.Flatten(), ("fc", nn.Linear(10 * 16, 3)))


MODELS = {
    "models/mnist_mlp.yaml": mnist_mlp,
    "models/mnist_cnn.yaml": mnist_cnn,
    "models/mnist_resnet.yaml": mnist_resnet,
    "models/mnist_lstm.yaml": mnist_lstm,
    "models/diabetes_tabular.yaml": diabetes_tabular,
    "models/digits_images.yaml": digits_images,
    "models/wine_tabular.yaml": wine_tabular,
    "models/fortunes_char_lm.yaml": fortunes_char_lm,
    "models/fortunes_topics.yaml": fortunes_topics,
    "Tests/Fixtures/spec/zoo_sequence.yaml": zoo_sequence,
    "Tests/Fixtures/spec/zoo_image.yaml": zoo_image,
    "Tests/Fixtures/spec/zoo_text.yaml": zoo_text,
}


def describe(module):
    return {
        "parameters": sum(p.numel() for p in module.parameters()),
        "state_dict": [[name, list(tensor.shape)] for name, tensor in module.state_dict().items()],
    }


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    out = {spec: describe(build()) for spec, build in MODELS.items()}
    out["torch_version"] = torch.__version__
    with open(os.path.join(here, "param_counts.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
