#!/usr/bin/env python3
"""Ratios of the criterion benchmarks in tests/benches/overhead.rs.

Reads criterion's estimates (target/criterion/<group>/<bench>/new/estimates.json,
written by `cargo bench -p axum-kamal-tests --bench overhead`) and prints, as
Markdown, each figure as a ratio against its baseline from the same run, with
the absolute medians and mean ± standard error, plus the goals.

    python3 scripts/bench-report.py [CRITERION_DIR]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion or target/criterion.
Exits 1 if a goal is missed.
"""

import json
import os
import sys
from pathlib import Path

# (group, bench, baseline, goal): goal is (max ratio, text) or None.
FIGURES = [
    ("pass_through", "kamal", "plain", (1.002, "≤ 1.002×")),
    ("pass_through", "let_bound", "let_bound_plain", (1.002, "≤ 1.002×")),
    ("pass_through", "macro_body", "macro_body_plain", (1.002, "≤ 1.002×")),
    ("pass_through", "fallback_last", "fallback_last_plain", (1.002, "≤ 1.002×")),
    ("pass_through", "macro_state", "macro_state_plain", (1.002, "≤ 1.002×")),
    ("pass_through", "wrapped", "plain", None),
    # A/A: a second `plain`, measured last; the resolution of the ratios.
    ("pass_through", "plain_again", "plain", None),
    ("probe", "kamal", "floor", None),
    ("probe", "kamal", "from_fn", (0.9, "≤ 0.9×")),
    ("probe", "from_fn", "floor", None),
    ("probe", "wrapped", "floor", None),
    ("probe_checks", "cached", "fresh", (1.0, "< 1× (faster)")),
    ("probe_checks", "cached", "no_checks", None),
    ("probe_checks", "fresh", "no_checks", None),
    ("storm", "checks", "no_checks", None),
]


def fmt_time(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def load(root: Path, group: str, bench: str) -> dict:
    path = root / group / bench / "new" / "estimates.json"
    if not path.exists():
        sys.exit(f"missing {path}: run `cargo bench -p axum-kamal-tests --bench overhead`")
    return json.loads(path.read_text())


def main() -> int:
    if len(sys.argv) > 1:
        root = Path(sys.argv[1])
    else:
        target = os.environ.get("CARGO_TARGET_DIR") or str(Path(__file__).resolve().parent.parent / "target")
        root = Path(target) / "criterion"
    missed = []
    print("| figure | ratio (median) | goal | measured (median) | baseline (median) | measured mean ± se | baseline mean ± se |")
    print("|---|---|---|---|---|---|---|")
    for group, bench, base, goal in FIGURES:
        m, b = load(root, group, bench), load(root, group, base)
        ratio = m["median"]["point_estimate"] / b["median"]["point_estimate"]
        mean_ratio = m["mean"]["point_estimate"] / b["mean"]["point_estimate"]
        goal_text = "—"
        if goal is not None:
            limit, text = goal
            ok = ratio <= limit if limit != 1.0 else ratio < limit
            goal_text = f"{text} {'✅' if ok else '❌ missed'}"
            if not ok:
                missed.append(f"{group}/{bench} vs {base}: {ratio:.3f}× (goal {text})")

        def mean(e: dict) -> str:
            return f"{fmt_time(e['mean']['point_estimate'])} ± {fmt_time(e['mean']['standard_error'])}"

        print(
            f"| `{group}/{bench}` vs `{group}/{base}` | **{ratio:.3f}×** (mean {mean_ratio:.3f}×) | {goal_text} "
            f"| {fmt_time(m['median']['point_estimate'])} | {fmt_time(b['median']['point_estimate'])} "
            f"| {mean(m)} | {mean(b)} |"
        )
    for line in missed:
        print(f"\nmissed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
