#!/usr/bin/env python3
"""Exports a Mixtral-style sparse MoE block with torch.onnx (Debian's torch).

    export_mixtral_moe.py OUT.onnx [--hidden 32 --ffn 64 --experts 4 --top-k 2
                                    --seq 6 --opset 14]

The block is the HuggingFace Mixtral sparse MoE written out: the router
linear, softmax in fp32, top-k and renormalisation, then a loop over the
experts that picks the tokens routed to each (torch.where on the one-hot
mask, which exports as NonZero), runs w2(silu(w1 x) * w3 x) on them,
weights them and adds them back with index_add_ (a ScatterElements). The
token counts per expert are data-dependent, so only they stay dynamic.
"""
import argparse

import torch
from torch import nn
from torch.nn import functional as F

from testdata import write_test_data


class Expert(nn.Module):
    def __init__(self, hidden, ffn):
        super().__init__()
        self.w1 = nn.Linear(hidden, ffn, bias=False)
        self.w2 = nn.Linear(ffn, hidden, bias=False)
        self.w3 = nn.Linear(hidden, ffn, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class MixtralSparseMoe(nn.Module):
    def __init__(self, hidden, ffn, experts, top_k):
        super().__init__()
        self.top_k, self.num_experts = top_k, experts
        self.gate = nn.Linear(hidden, experts, bias=False)
        self.experts = nn.ModuleList([Expert(hidden, ffn) for _ in range(experts)])

    def forward(self, x):
        b, s, h = x.shape
        x = x.view(-1, h)
        logits = self.gate(x)
        weights = F.softmax(logits, dim=1, dtype=torch.float)
        weights, chosen = torch.topk(weights, self.top_k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros((b * s, h), dtype=x.dtype)
        mask = F.one_hot(chosen, num_classes=self.num_experts).permute(2, 1, 0)
        for e in range(self.num_experts):
            slot, token = torch.where(mask[e])
            current = x[None, token].reshape(-1, h)
            current = self.experts[e](current) * weights[token, slot, None]
            out.index_add_(0, token, current.to(x.dtype))
        return out.reshape(b, s, h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=64)
    ap.add_argument("--experts", type=int, default=4)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--seq", type=int, default=6)
    ap.add_argument("--data", help="also write test_data_set-style inputs and torch's outputs here")
    ap.add_argument("--opset", type=int, default=14)
    args = ap.parse_args()
    torch.manual_seed(0)
    block = MixtralSparseMoe(args.hidden, args.ffn, args.experts, args.top_k).eval()
    x = torch.randn(1, args.seq, args.hidden)
    torch.onnx.export(block, (x,), args.out, opset_version=args.opset,
                      input_names=["x"], output_names=["y"])
    if args.data:
        with torch.no_grad():
            write_test_data(args.data, [("x", x)], [("y", block(x))])


if __name__ == "__main__":
    main()
