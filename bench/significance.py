"""Can two samples of timings be told apart? Plain Python: bench/requirements.txt has no SciPy,
and these few loops are all figure 6 needs (bench/mail_timing.py).

- `mann_whitney_p`: the Mann–Whitney U test, two-sided, normal approximation with the tie
  correction and a continuity correction (fine from ~20 samples a side; figure 6 takes hundreds).
  It asks whether one side tends to be slower anywhere in its distribution, not only at the median.
- `permutation_p`: a permutation test on the difference of medians: how often a random split of
  the pooled samples differs by at least as much as the real one.
- `median_difference_interval`: a bootstrap interval of the difference of medians, to say how
  large a difference the samples leave room for, not only whether one was seen.
"""

import math
import random
import statistics
from collections.abc import Sequence


def _ranks(values: list[float]) -> tuple[list[float], float]:
    """Ranks from 1 (ties share their average rank) of the sorted `values`, and Σ(t³ − t) over ties."""
    ranks = [0.0] * len(values)
    ties = 0.0
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and values[end + 1] == values[start]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        tied = end - start + 1
        ties += tied**3 - tied
        start = end + 1
    return ranks, ties


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """(two-sided p-value, P(a sample of `a` > one of `b`)); the second is 0.5 when neither side is slower."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks, ties = _ranks([value for value, _ in pooled])
    rank_sum = sum(rank for rank, (_, side) in zip(ranks, pooled, strict=True) if side == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0, 0.5
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2)), u / (n1 * n2)


def permutation_p(a: Sequence[float], b: Sequence[float], *, rounds: int, rng: random.Random) -> float:
    """Two-sided p-value of |median(a) − median(b)| over `rounds` random relabellings."""
    observed = abs(statistics.median(a) - statistics.median(b))
    pooled = [*a, *b]
    as_large = 0
    for _ in range(rounds):
        rng.shuffle(pooled)
        if abs(statistics.median(pooled[: len(a)]) - statistics.median(pooled[len(a) :])) >= observed:
            as_large += 1
    return (as_large + 1) / (rounds + 1)  # the observed split counts as one of them


def median_difference_interval(
    a: Sequence[float], b: Sequence[float], *, rounds: int, rng: random.Random, level: float = 0.95
) -> tuple[float, float]:
    """Bootstrap (percentile) interval of median(a) − median(b)."""
    differences = sorted(
        statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b))) for _ in range(rounds)
    )
    tail = (1 - level) / 2
    return differences[int(tail * (rounds - 1))], differences[int(math.ceil((1 - tail) * (rounds - 1)))]
