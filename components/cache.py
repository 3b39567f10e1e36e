"""Caching at the page edge (never inside data/): one wrapper for any viewer-scoped call.

The viewer is part of the key, so two partners never share a cached answer; the database
bundle is not hashed (leading underscore) but its portal URL is, so tests and demo runs
with different databases do not mix either.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from components.session import PageContext
from core.db import Databases
from data.access.partners import choosable_partners, list_partners
from data.access.viewer import Viewer
from data.shop.catalog import list_courses

T = TypeVar("T")


@st.cache_data(ttl=60, show_spinner=False, max_entries=2000)
def _call(qualname: str, viewer: Viewer, db_key: str, kwargs: tuple, _db: Databases) -> Any:
    module, name = qualname.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    return fn(viewer, _db, **dict(kwargs))


def cached(fn: Callable[..., T], viewer: Viewer, db: Databases, **kwargs: object) -> T:
    """`fn(viewer, db, **kwargs)`, remembered for a minute per viewer and arguments."""
    db_key = db.portal.url.render_as_string(hide_password=True)
    qualname = f"{fn.__module__}.{fn.__name__}"
    return _call(qualname, viewer, db_key, tuple(sorted(kwargs.items())), db)


# The lists every filter and select offers: read once a minute, not on every click. They change
# only with the shop's catalogue or a new partner, which a minute later is soon enough.


def viewer_courses(ctx: PageContext) -> pd.DataFrame:
    """The viewer's courses (data.shop.catalog.list_courses), cached."""
    return cached(list_courses, ctx.viewer, ctx.db)


def viewer_partners(ctx: PageContext) -> pd.DataFrame:
    """The partners in the viewer's scope (data.access.partners.list_partners), cached."""
    return cached(list_partners, ctx.viewer, ctx.db)


def choosable(ctx: PageContext) -> pd.DataFrame:
    """Staff's "view as" choices, whoever they view as now (choosable_partners), cached."""
    return cached(choosable_partners, ctx.user.viewer, ctx.db)
