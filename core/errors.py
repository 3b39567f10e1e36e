"""Refusals: what the portal says no to, as a locale key and parameters, never as a sentence.

The data layer, core and the jobs refuse with a subclass of `Refusal` (`InvalidInput`,
`ScopeError`, `ShopStateError`); whoever shows it renders `key` with `params` in the reader's
language (`core.i18n.render_refusal`; in the app `components.feedback.show_refusal`). So the
same refusal reads German or English, and the public API can answer with the key itself.
`str(refusal)` is the key and its parameters, for logs.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(Exception):
    """A refusal the user can act on; `key` names its text in locales/*.toml."""

    key: str
    params: Mapping[str, object]

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return self.key
        shown = ", ".join(f"{name}={value!r}" for name, value in self.params.items())
        return f"{self.key} ({shown})"
