#!/usr/bin/env python3
"""Exports a Llama-style GQA attention block with torch.onnx (Debian's torch).

    export_llama_attention.py OUT.onnx [--hidden 64 --heads 4 --kv-heads 2
                                        --seq 8 --opset 14]

The block is the HuggingFace Llama attention written out: q/k/v
projections, rotary embedding by rotate_half, repeat_kv for the kv heads, a
causal mask from triu (--window W adds Mistral's sliding window; --mask
bias an additive distance bias instead; --mask padding HuggingFace's
causal mask with an attention_mask input's padding filled in, at run
time), softmax in fp32, and the output
projection (--core: the attention between them alone). Shapes
are static, so everything the exporter writes to compute shapes must fold;
with --dynamic-seq the sequence length is a symbolic dim ("seq") instead.
"""
import argparse
import math

import torch
from torch import nn

from testdata import write_test_data


class RMSNorm(nn.Module):
    """HuggingFace's LlamaRMSNorm."""

    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(hidden) + 0.5)
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(dtype)


class LayerNorm(nn.Module):
    """GPT-style LayerNorm, optionally without bias (exported as nodes before
    opset 17)."""

    def __init__(self, hidden, bias=True, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(hidden) + 0.5)
        self.bias = nn.Parameter(torch.rand(hidden) - 0.5) if bias else None
        self.hidden, self.eps = hidden, eps

    def forward(self, x):
        return nn.functional.layer_norm(x, (self.hidden,), self.weight, self.bias, self.eps)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x, n_rep):
    b, kv, s, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, kv, n_rep, s, d).reshape(b, kv * n_rep, s, d)


class LlamaAttention(nn.Module):
    def __init__(self, hidden, heads, kv_heads, window=0, mask="causal", norm=None):
        super().__init__()
        self.window, self.mask_kind = window, mask
        self.norm = None
        if norm == "rms":
            self.norm = RMSNorm(hidden)
        elif norm:
            self.norm = LayerNorm(hidden, bias=norm == "layer")
        self.heads, self.kv_heads = heads, kv_heads
        self.head_dim = hidden // heads
        self.q_proj = nn.Linear(hidden, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, hidden, bias=False)

    def forward(self, x, cos, sin, attention_mask=None):
        b, s, _ = x.shape
        if self.norm is not None:
            x = self.norm(x)
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        out = self.core(q, k, v, attention_mask).transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(out)

    def core(self, q, k, v, attention_mask=None):
        """Scaled dot-product attention over [b, heads, s, d] queries and
        [b, kv_heads, s, d] keys and values; `attention_mask` [b, s] (1 a
        token, 0 padding) with --mask padding."""
        s = q.shape[2]
        k = repeat_kv(k, self.heads // self.kv_heads)
        v = repeat_kv(v, self.heads // self.kv_heads)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if self.mask_kind == "causal":
            mask = torch.full((s, s), float("-inf")).triu(1)
            if self.window:
                # Mistral's sliding window: also hide keys more than
                # `window` positions back.
                mask = mask + torch.full((s, s), float("-inf")).tril(-self.window - 1)
        elif self.mask_kind == "padding":
            # HuggingFace's 4-d mask: the causal triu of the dtype's
            # minimum, and the padded keys filled with it too. It depends on
            # an input, so no compiler can read it as a band.
            low = torch.finfo(torch.float32).min
            causal = torch.full((s, s), low).triu(1)[None, None]
            padded = attention_mask[:, None, None, :] == 0
            mask = causal.masked_fill(padded, low)
        else:
            # Any additive mask (ALiBi-like slopes): not a band.
            pos = torch.arange(s, dtype=torch.float32)
            mask = -0.1 * (pos[:, None] - pos[None, :]).abs()
        scores = scores + mask
        probs = nn.functional.softmax(scores, dim=-1, dtype=torch.float32)
        return torch.matmul(probs, v)


class Core(nn.Module):
    """The attention alone (no projections, rotary or norm): what
    --core exports."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, q, k, v, attention_mask=None):
        return self.block.core(q, k, v, attention_mask)


class WithRotary(nn.Module):
    """The block with HuggingFace's LlamaRotaryEmbedding in front: cos and
    sin computed in the graph from the position ids, as a whole model's
    export has them."""

    def __init__(self, block, head_dim, base=10000.0):
        super().__init__()
        self.block = block
        self.register_buffer(
            "inv_freq", 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)))

    def forward(self, x, position_ids, attention_mask=None):
        inv_freq = self.inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
        freqs = (inv_freq @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        return self.block(x, cos.unsqueeze(1), sin.unsqueeze(1), attention_mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--seq", type=int, default=8)
    ap.add_argument("--window", type=int, default=0,
                    help="sliding window: keys at most this many positions back")
    ap.add_argument("--mask", choices=["causal", "bias", "padding"], default="causal",
                    help="causal (triu of -inf), a distance bias that is no band, or causal with "
                         "an attention_mask input [1, seq] whose first --padding tokens are 0")
    ap.add_argument("--padding", type=int, default=3)
    ap.add_argument("--rms-norm", action="store_true",
                    help="the decoder layer's input RMSNorm in front")
    ap.add_argument("--layer-norm", choices=["layer", "layer-no-bias"],
                    help="a LayerNorm (with or without bias) in front instead")
    ap.add_argument("--rope-in-graph", action="store_true",
                    help="compute cos/sin in the graph from a position_ids input (from --first-position)")
    ap.add_argument("--first-position", type=int, default=0)
    ap.add_argument("--core", action="store_true",
                    help="only the attention: inputs q [1, heads, seq, dim], k and v [1, kv-heads, "
                         "seq, dim], output [1, heads, seq, dim]")
    ap.add_argument("--dynamic-seq", action="store_true",
                    help="the sequence length symbolic (dim 1 of x, cos, sin; dim 2 of q/k/v)")
    ap.add_argument("--data", help="also write test_data_set-style inputs and torch's outputs here")
    ap.add_argument("--opset", type=int, default=14)
    args = ap.parse_args()
    torch.manual_seed(0)
    block = LlamaAttention(args.hidden, args.heads, args.kv_heads, args.window, args.mask,
                           "rms" if args.rms_norm else args.layer_norm).eval()
    head_dim = args.hidden // args.heads
    x = torch.randn(1, args.seq, args.hidden)
    pos = torch.arange(args.seq, dtype=torch.float32)[:, None]
    freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.cat([pos * freq, pos * freq], dim=-1)
    cos, sin = angles.cos()[None, None], angles.sin()[None, None]
    if args.core:
        block = Core(block).eval()
        inputs = [("q", torch.randn(1, args.heads, args.seq, head_dim)),
                  ("k", torch.randn(1, args.kv_heads, args.seq, head_dim)),
                  ("v", torch.randn(1, args.kv_heads, args.seq, head_dim))]
    elif args.rope_in_graph:
        block = WithRotary(block, head_dim).eval()
        positions = torch.arange(args.seq)[None] + args.first_position
        inputs = [("x", x), ("position_ids", positions)]
    else:
        inputs = [("x", x), ("cos", cos), ("sin", sin)]
    if args.mask == "padding":
        attention_mask = torch.ones(1, args.seq, dtype=torch.int64)
        attention_mask[:, :args.padding] = 0  # left padding, as batched generation has it
        inputs.append(("attention_mask", attention_mask))
    dynamic_axes = None
    if args.dynamic_seq:
        seq_dim = {"x": 1, "cos": 2, "sin": 2, "q": 2, "k": 2, "v": 2, "position_ids": 1,
                   "attention_mask": 1}
        dynamic_axes = {n: {seq_dim[n]: "seq"} for n, _ in inputs}
        dynamic_axes["y"] = {2 if args.core else 1: "seq"}
    torch.onnx.export(block, tuple(t for _, t in inputs), args.out, opset_version=args.opset,
                      input_names=[n for n, _ in inputs], output_names=["y"],
                      dynamic_axes=dynamic_axes)
    if args.data:
        with torch.no_grad():
            write_test_data(args.data, inputs, [("y", block(*(t for _, t in inputs)))])


if __name__ == "__main__":
    main()
