"""The Übersicht's two tables, one page of rows formatted a column at a time."""

from __future__ import annotations

import pandas as pd

from components.i18n import day as day_label
from components.i18n import each_distinct, money_column, number, t, weekday
from core.clock import BERLIN


def week_table(rows: pd.DataFrame, *, with_partner: bool) -> pd.DataFrame:
    """This week's dates (one page): Berlin times vectorised, each day's label once."""
    columns: dict[str, object] = {}
    if with_partner:
        columns[t("overview.col_partner")] = rows["partner"].fillna("–")
    local = pd.to_datetime(rows["starts_at"]).dt.tz_localize("UTC").dt.tz_convert(BERLIN)
    sold, total = rows["seats_sold"].astype(int), rows["seats_total"].astype(int)
    columns.update(
        {
            t("overview.col_day"): each_distinct(
                local.dt.date, lambda d: f"{weekday(d)} {day_label(d)}"
            ),
            t("overview.col_time"): local.dt.strftime("%H:%M"),
            t("overview.col_course"): rows["course"],
            t("overview.col_seats"): sold.astype(str) + " / " + total.astype(str),
            t("overview.col_occupancy"): (100 * sold / total.where(total > 0))
            .fillna(0)
            .round()
            .astype(int),
        }
    )
    return pd.DataFrame(columns)


def partner_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Staff's partners (one page): money per column, each rating formatted once."""
    return pd.DataFrame(
        {
            t("overview.col_partner"): rows["name"],
            t("overview.col_city"): rows["city"],
            t("overview.col_courses"): rows["courses"],
            t("overview.col_pending"): rows["pending"],
            t("overview.col_revenue"): money_column(rows["revenue_month"]),
            t("overview.col_rating"): each_distinct(
                rows["rating"],
                lambda v: number(v, digits=1) if v is not None and pd.notna(v) else "–",
            ),
        }
    )
