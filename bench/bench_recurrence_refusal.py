"""Benchmark: how long the series form waits for a custom rule that never or rarely occurs.

Usage (from the project root):

    .venv/bin/python -m bench.bench_recurrence_refusal [--repeat 20]

Runs what a preview runs (core.recurrence.validate and expand up to ten years) for rules
that never occur, occur rarely, or count past the limit, and prints the median and the worst
time of each. Goal: well under 100 ms per click (was 8-25 s for FREQ=DAILY;BYMONTH=2;
BYMONTHDAY=30, searched up to the year 9999). The machine has 2 shared cores: figures carry
noise; nothing is asserted here (tests/core/test_recurrence.py counts the months searched).
"""

from __future__ import annotations

import argparse
import statistics
from datetime import date, time
from time import perf_counter

from core import recurrence as rec
from core.validation import InvalidInput

RULES = (
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
    "FREQ=WEEKLY;BYDAY=MO;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
    "FREQ=MONTHLY;BYMONTHDAY=5;COUNT=10000",
    "FREQ=WEEKLY;BYDAY=TU,TH",
)


def _click(rule: str) -> str:
    today = date(2027, 1, 4)
    pattern = rec.Pattern(
        kind=rec.CUSTOM, starts_on=today, start_time=time(18, 0), duration_minutes=90, rrule=rule
    )
    try:
        rec.validate(pattern, today=today)
        full = rec.expand(pattern, until=date(today.year + rec.MAX_YEARS, 12, 31), limit=501)
        rec.check_size(full)
    except InvalidInput as exc:
        return exc.key
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_recurrence_refusal")
    parser.add_argument("--repeat", type=int, default=20)
    repeat = max(1, parser.parse_args().repeat)
    for rule in RULES:
        times = []
        for _ in range(repeat):
            started = perf_counter()
            answer = _click(rule)
            times.append((perf_counter() - started) * 1000)
        print(
            f"{rule:48} {answer:22} median {statistics.median(times):6.1f} ms"
            f"  worst {max(times):6.1f} ms"
        )


if __name__ == "__main__":
    main()
