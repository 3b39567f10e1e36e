"""core/export.LineProgress: everything reaches the file, progress comes every `step` lines."""

from __future__ import annotations

import io

from core.export import LineProgress


def test_lines_are_reported_each_step_and_everything_is_written() -> None:
    out = io.BytesIO()
    seen: list[int] = []
    writer = LineProgress(out, seen.append, step=3)
    for n in range(10):
        writer.write(f"row {n}\n".encode())
    writer.write(b"a\nb\nc\nd\n")  # one write over a step boundary reports once
    assert seen == [3, 6, 9, 14]
    assert out.getvalue().count(b"\n") == 14 == writer.lines
    assert writer.tell() == len(out.getvalue())  # the file's own methods pass through
