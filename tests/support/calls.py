"""Counting calls of data functions while the real function runs (the database stays real):
what a page test uses to show that a screen does only the work of what is on it."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest


class Calls(Counter[str]):
    """How often each wrapped function ran, by "module.name"."""

    def wrap(self, mp: pytest.MonkeyPatch, module: ModuleType, *names: str) -> Calls:
        for name in names:
            real: Callable[..., Any] = getattr(module, name)
            label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"

            @functools.wraps(real)
            def counted(*args: Any, _real=real, _label=label, **kwargs: Any) -> Any:
                self[_label] += 1
                return _real(*args, **kwargs)

            mp.setattr(module, name, counted)
        return self

    def of(self, prefix: str) -> int:
        """Calls of every wrapped function whose label starts with `prefix`."""
        return sum(n for label, n in self.items() if label.startswith(prefix))
