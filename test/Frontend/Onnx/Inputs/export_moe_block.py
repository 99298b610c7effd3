#!/usr/bin/env python3
"""Exports a HuggingFace-style sparse MoE block with torch.onnx (Debian's torch).

    export_moe_block.py OUT.onnx [--style mixtral|qwen|deepseek]
        [--hidden 32 --ffn 64 --experts 4 --top-k 2 --batch 1 --seq 6
         --opset 14 --dynamic --data DIR]

Each block is the HuggingFace code written out: the router linear, softmax
in fp32 (sigmoid with --scoring sigmoid), top-k, then a loop over the
experts that picks the tokens routed to each (torch.where on the one-hot
mask, which exports as NonZero), runs the gated FFN w2(silu(w1 x) * w3 x)
on them, weights them and adds them back with index_add_ (a
ScatterElements). The token counts per expert are data-dependent, so only
they stay dynamic (and batch/sequence with --dynamic).

- mixtral: top-k weights renormalised.
- qwen: Qwen2-MoE; no renormalisation (norm_topk_prob false) and a shared
  expert of width --shared-ffn scaled by sigmoid(shared_expert_gate(x)).
- deepseek: DeepSeek-V2 style; renormalised with the 1e-20 epsilon, times
  routed_scaling_factor, and --shared shared experts (one FFN of width
  shared * ffn) added after the output is reshaped back to [b, s, h]. The
  routed loop is Mixtral's: DeepSeek's moe_infer reads token counts on the
  host, which tracing would freeze into the graph.
  With --n-group G --topk-group TG the router is group-limited as in
  DeepSeek's gates: experts are split into G groups, a group scores by its
  best expert (--group-score max, V2) or the sum of its two best (top2,
  V3), and only the TG best groups' experts can be chosen (the others are
  masked_fill'ed with 0.0 as HF does, or --outside-fill). --bias S adds V3's
  e_score_correction_bias (normal, mean -S, deviation S) to the scores for the choice only; the weights
  are then the unbiased scores of the chosen experts, gathered.
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


def onnx_topk(values, k, dim, sorted=True):
    """torch.topk with ONNX's ties: the lower index first (a stable sort)."""
    del sorted
    ordered, order = torch.sort(values, dim=dim, descending=True, stable=True)
    return ordered.narrow(dim, 0, k), order.narrow(dim, 0, k)


class SparseMoe(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.top_k, self.num_experts = args.top_k, args.experts
        self.onnx_ties = False
        self.gate = nn.Linear(args.hidden, args.experts, bias=False)
        self.experts = nn.ModuleList(
            [Expert(args.hidden, args.ffn) for _ in range(args.experts)])
        if args.style == "qwen":
            self.shared_expert = Expert(args.hidden, args.shared_ffn)
            self.shared_expert_gate = nn.Linear(args.hidden, 1, bias=False)
        if args.style == "deepseek" and args.shared:
            self.shared_experts = Expert(args.hidden, args.ffn * args.shared)
        if args.bias:
            self.register_buffer("e_score_correction_bias",
                                 (torch.randn(args.experts) - 1) * args.bias)

    def choose(self, scores):
        """HF DeepSeek's group-limited choice: (weights, indices)."""
        args = self.args
        topk = onnx_topk if self.onnx_ties else torch.topk
        choice = scores
        if args.bias:
            choice = scores + self.e_score_correction_bias.unsqueeze(0)
        if args.n_group > 1:
            ranked = scores if args.group_unbiased else choice
            grouped = ranked.view(-1, args.n_group, args.experts // args.n_group)
            if args.group_score == "top2":
                group_scores = grouped.topk(2, dim=-1)[0].sum(dim=-1)
            else:
                group_scores = grouped.max(dim=-1).values
            group_idx = topk(group_scores, k=args.topk_group, dim=-1, sorted=False)[1]
            group_mask = torch.zeros_like(group_scores)
            group_mask.scatter_(1, group_idx, 1)
            score_mask = (group_mask.unsqueeze(-1)
                          .expand(-1, args.n_group, args.experts // args.n_group)
                          .reshape(-1, args.experts))
            choice = choice.masked_fill(~score_mask.bool(), args.outside_fill)
        weights, chosen = topk(choice, self.top_k, dim=-1, sorted=args.n_group == 1)
        if args.bias:
            weights = scores.gather(1, chosen)
        return weights, chosen

    def route(self, x):
        logits = self.gate(x)
        if self.args.scoring == "sigmoid":
            scores = logits.float().sigmoid()
        else:
            scores = F.softmax(logits, dim=1, dtype=torch.float)
        weights, chosen = self.choose(scores)
        if self.args.style == "mixtral":
            weights = weights / weights.sum(dim=-1, keepdim=True)
        elif self.args.style == "deepseek":
            weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
            weights = weights * self.args.scaling
        return weights.to(x.dtype), chosen

    def forward(self, hidden):
        b, s, h = hidden.shape
        identity = hidden
        x = hidden.view(-1, h)
        weights, chosen = self.route(x)
        out = torch.zeros((b * s, h), dtype=x.dtype)
        mask = F.one_hot(chosen, num_classes=self.num_experts).permute(2, 1, 0)
        for e in range(self.num_experts):
            if e == self.args.skip_expert:
                continue
            slot, token = torch.where(mask[e])
            current = x[None, token].reshape(-1, h)
            current = self.experts[e](current) * weights[token, slot, None]
            out.index_add_(0, token, current.to(x.dtype))
        if self.args.style == "qwen":
            shared = self.shared_expert(x)
            out = out + torch.sigmoid(self.shared_expert_gate(x)) * shared
        out = out.reshape(b, s, h)
        if self.args.style == "deepseek" and self.args.shared:
            out = out + self.shared_experts(identity)
        return out


def require_routing_matters(block, x):
    """Test data that the group limit and the bias change nothing for would
    not check them: some token must choose other experts than a plain top-k
    of its scores does."""
    scores = block.gate(x.view(-1, block.args.hidden))
    scores = scores.sigmoid() if block.args.scoring == "sigmoid" else F.softmax(scores, dim=1)
    chosen = block.choose(scores)[1].sort(dim=-1).values
    plain = torch.topk(scores, block.top_k, dim=-1)[1].sort(dim=-1).values
    if torch.equal(chosen, plain):
        raise SystemExit("these inputs choose as a plain top-k would: "
                         "use more tokens or experts")
    if block.args.require_fill_matters:
        fill, block.args.outside_fill = block.args.outside_fill, float("-inf")
        excluded = block.choose(scores)[1].sort(dim=-1).values
        block.args.outside_fill = fill
        if torch.equal(chosen, excluded):
            raise SystemExit("no token chooses an expert of the groups left out")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--style", choices=["mixtral", "qwen", "deepseek"], default="mixtral")
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=64)
    ap.add_argument("--experts", type=int, default=4)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=6)
    ap.add_argument("--scoring", choices=["softmax", "sigmoid"], default="softmax")
    ap.add_argument("--shared", type=int, default=2, help="deepseek: shared experts")
    ap.add_argument("--shared-ffn", type=int, default=96, help="qwen: shared expert width")
    ap.add_argument("--scaling", type=float, default=2.5, help="deepseek: routed_scaling_factor")
    ap.add_argument("--n-group", type=int, default=1, help="group-limited routing: groups")
    ap.add_argument("--topk-group", type=int, default=1, help="group-limited routing: groups kept")
    ap.add_argument("--group-score", choices=["max", "top2"], default="max")
    ap.add_argument("--outside-fill", type=float, default=0.0,
                    help="the score of the experts outside the chosen groups")
    ap.add_argument("--bias", type=float, default=0.0,
                    help="scale of a random e_score_correction_bias (0: none)")
    ap.add_argument("--require-fill-matters", action="store_true",
                    help="fail unless some token picks an expert outside its groups")
    ap.add_argument("--group-unbiased", action="store_true",
                    help="rank groups by the unbiased scores (not a moe.route any more)")
    ap.add_argument("--skip-expert", type=int, default=-1,
                    help="leave this expert out of the loop (not an MoE layer any more)")
    ap.add_argument("--dynamic", action="store_true", help="symbolic batch and sequence")
    ap.add_argument("--data", help="also write test_data_set-style inputs and torch's outputs here")
    ap.add_argument("--onnx-ties", action="store_true",
                    help="--data: break top-k ties by the lower index, as ONNX does")
    ap.add_argument("--opset", type=int, default=14)
    args = ap.parse_args()
    torch.manual_seed(0)
    block = SparseMoe(args).eval()
    x = torch.randn(args.batch, args.seq, args.hidden)
    dynamic = {"x": {0: "batch", 1: "seq"}, "y": {0: "batch", 1: "seq"}} if args.dynamic else None
    torch.onnx.export(block, (x,), args.out, opset_version=args.opset,
                      input_names=["x"], output_names=["y"], dynamic_axes=dynamic)
    if args.data:
        with torch.no_grad():
            if args.n_group > 1 or args.bias:
                require_routing_matters(block, x)
            # ONNX's TopK breaks ties by the lower index, torch's does not
            # say: where a choice hangs on ties (experts filled with the same
            # score), the exported graph means ONNX's choice.
            block.onnx_ties = args.onnx_ties
            write_test_data(args.data, [("x", x)], [("y", block(x))])


if __name__ == "__main__":
    main()
