"""Shared helpers of the benchmarks: timing statistics and printing ours beside the baseline."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # gateway_support starts a real gateway, as the tests do


def summary(values: list[float]) -> str:
    """median [min-max] of a list of figures."""
    return f"{statistics.median(values):8.1f} [{min(values):.1f}-{max(values):.1f}]"


def row(label: str, ours: list[float], baseline: list[float], unit: str, higher_is_better: bool = True) -> str:
    ratio = statistics.median(ours) / statistics.median(baseline)
    if not higher_is_better:
        ratio = 1 / ratio if ratio else float("inf")
    return f"{label:<28} ours {summary(ours)} {unit}   baseline {summary(baseline)} {unit}   ratio {ratio:5.2f}x"


def p50_row(label: str, ours_ms: list[float], baseline_ms: list[float]) -> str:
    """Latency medians and p99s (ms), and how many times the baseline's median ours takes."""
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (f"{label:<28} ours p50 {pct(ours_ms, .5):6.2f} p99 {pct(ours_ms, .99):6.2f} ms   baseline p50 "
            f"{pct(baseline_ms, .5):6.2f} p99 {pct(baseline_ms, .99):6.2f} ms   ours/baseline "
            f"{pct(ours_ms, .5) / pct(baseline_ms, .5):5.2f}x")
