"""Who is looking: every data function takes a `Viewer` first and filters by it in SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.errors import Refusal
from data.portal_schema import ROLE_PARTNER, ROLE_STAFF


class ScopeError(Refusal, PermissionError):
    """The viewer may not do this; the data layer refuses, whatever the page showed.

    `ScopeError("access.staff_only")`: a locale key (default "access.denied") and parameters.
    """

    def __init__(self, key: str = "access.denied", /, **params: object) -> None:
        super().__init__(key, **params)


STAFF_ONLY = "access.staff_only"
SYSTEM_ONLY = "access.system_only"
READ_ONLY = "api_error.read_only"

# The booking widget on a partner's website (api/routers/widget.py): no login, a public
# partner key. It reads like that partner (the same scope filters) and writes nothing but its
# own traffic counters and customers' sign-ups (waitlist, date request: the same data
# functions as the portal's); it is never staff and never sees another partner.
ROLE_WIDGET = "widget"


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str
    # A partner's own id. For staff: None sees every partner; an id means "view as" that partner.
    partner_id: int | None = None
    # What a team member or an API key may do (data/access/permissions.py); None: everything
    # the role allows.
    permissions: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.role not in (ROLE_PARTNER, ROLE_STAFF, ROLE_WIDGET):
            raise ValueError(f"unknown role {self.role!r}")
        if self.role in (ROLE_PARTNER, ROLE_WIDGET) and self.partner_id is None:
            raise ValueError(f"a {self.role} viewer needs its partner_id")

    @classmethod
    def widget(cls, partner_id: int) -> Viewer:
        """The read-only viewer of a partner's public booking widget (user id 0: nobody)."""
        return cls(user_id=0, role=ROLE_WIDGET, partner_id=int(partner_id))

    @property
    def is_staff(self) -> bool:
        return self.role == ROLE_STAFF

    @property
    def read_only(self) -> bool:
        """The public widget: it may read its partner's public data, never change anything."""
        return self.role == ROLE_WIDGET

    def require_writer(self) -> None:
        """Refuse (ScopeError) a change asked for by a read-only viewer."""
        if self.read_only:
            raise ScopeError(READ_ONLY)

    @property
    def sees_all(self) -> bool:
        return self.is_staff and self.partner_id is None

    def require_staff(self, reason: str = STAFF_ONLY) -> None:
        """Refuse (ScopeError with `reason`) unless the viewer is Miomente staff."""
        if not self.is_staff:
            raise ScopeError(reason)

    def require_system(self, reason: str = SYSTEM_ONLY) -> None:
        """Refuse unless the viewer sees every partner: the jobs sidecar (SYSTEM), or staff
        not viewing as one partner. Work over the whole portal (the ledger copy, the outbox
        sender, the job log) must not run in a narrowed scope."""
        if not self.sees_all:
            raise ScopeError(reason)

    def view_as(self, partner_id: int | None) -> Viewer:
        """Staff only: narrow the scope to one partner (or back to all with None)."""
        self.require_staff("access.view_as_staff_only")
        return replace(self, partner_id=partner_id)


# The jobs sidecar acts with staff scope under this id (audit rows show user 0).
SYSTEM = Viewer(user_id=0, role=ROLE_STAFF)
