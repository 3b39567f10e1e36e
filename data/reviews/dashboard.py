"""Bewertungen at a glance: the list of a partner's reviews and the figures above it.

Reviews live in Magento (`review`, `review_detail`, `rating_option_vote`); a review's stars are
the average of its votes (one per rating), rounded half up to whole stars for the distribution
and the stars filter. Every average counts approved reviews only; a course shows its own
average from `MIN_FOR_AVERAGE` reviews on (fewer: `average` is None and the page says so).
The list shows every status and is paged in SQL (the portal's pages: `list_reviews`; the
partner API's keyset slices: `reviews_after`, the same rows and filters); "answered" means an
approved answer (data/reviews/responses.py), read from the portal DB as ids: bound into the
shop query for the summary and the answered filter, a plain list page asks the portal about
its own rows.
"""

from __future__ import annotations

import base64
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import (
    Integer,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from core import periods, sql
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import REVIEWS_READ, requires
from data.access.viewer import Viewer
from data.portal_schema import courses, partners, review_responses
from data.shop.catalog import product_names
from data.shop.schema import REVIEW_APPROVED, rating_option_vote, review, review_detail

MIN_FOR_AVERAGE = 3
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
TREND_MONTHS = 12
MAX_TREND_MONTHS = 36
LIST_COLUMNS = [
    "review_id", "created_at", "product_id", "course", "status_id", "stars", "title",
    "detail", "nickname", "customer_id", "answered",
]  # fmt: skip

R, D, V = review, review_detail, rating_option_vote


@dataclass(frozen=True)
class ReviewFilters:
    """What the list and the figures are narrowed to; empty: everything of the viewer."""

    product_ids: tuple[int, ...] = ()
    stars: tuple[int, ...] = ()  # 1–5, the list only
    first_day: date | None = None  # Berlin days, inclusive
    last_day: date | None = None
    answered: bool | None = None  # the list only: with an approved answer or without


@dataclass(frozen=True)
class ReviewPage:
    rows: pd.DataFrame  # LIST_COLUMNS, newest first
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class Summary:
    count: int  # approved reviews in the filter
    average: float | None  # over those, None without any
    per_course: pd.DataFrame  # product_id, course, count, average (None below the minimum)
    distribution: dict[int, int]  # stars 1..5 -> approved reviews
    trend: pd.DataFrame  # month (first day), count, average
    answered: int = 0  # approved reviews with an approved answer
    median_hours_to_answer: float | None = None
    answered_share: float | None = field(default=None)


def _score() -> ColumnElement:
    """A review's stars as the average of its votes (NULL without votes)."""
    return select(func.avg(V.c.value)).where(V.c.review_id == R.c.review_id).scalar_subquery()


def _whole_stars(score: ColumnElement) -> ColumnElement:
    return cast(func.round(score), Integer)


# A review's votes grouped in the order of the shop index on review (product, status, created):
# the same groups as by review_id alone (its key), but MariaDB needs no temporary table to sort.
_REVIEW_GROUP = (R.c.entity_pk_value, R.c.status_id, R.c.created_at, R.c.review_id)


def _scored(ids: list[int] | None, filters: ReviewFilters) -> Subquery:
    """Approved reviews in scope and period with their score: one join and one GROUP BY, so
    the database reads each review's votes once (a correlated subquery per row costs seconds
    on a big shop)."""
    return (
        select(
            R.c.review_id, R.c.entity_pk_value.label("product_id"), R.c.created_at,
            func.avg(V.c.value).label("score"),
        )
        .join(V, V.c.review_id == R.c.review_id)
        .where(R.c.status_id == REVIEW_APPROVED, _product_filter(ids), _period(filters))
        .group_by(*_REVIEW_GROUP)
        .subquery("scored")
    )  # fmt: skip


def _bounds(filters: ReviewFilters) -> tuple[datetime | None, datetime | None]:
    """The filter's period as [start, end) in naive UTC; None: open on that side."""
    start = end = None
    if filters.first_day is not None:
        start = periods.days(filters.first_day, filters.first_day).start
    if filters.last_day is not None:
        end = periods.days(filters.last_day, filters.last_day).end
    return start, end


def _period(filters: ReviewFilters, column: ColumnElement | None = None) -> ColumnElement[bool]:
    created = R.c.created_at if column is None else column
    start, end = _bounds(filters)
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(created >= start)
    if end is not None:
        conditions.append(created < end)
    return and_(true(), *conditions)


def _products(viewer: Viewer, db: Databases, filters: ReviewFilters) -> list[int] | None:
    """The products in scope and filter; None: every product (staff, no course filter)."""
    mine = scope.product_ids(viewer, db)
    if not filters.product_ids:
        return mine
    chosen = {int(p) for p in filters.product_ids}
    return sorted(chosen if mine is None else chosen & set(mine))


def _product_filter(ids: list[int] | None) -> ColumnElement[bool]:
    return true() if ids is None else sql.int_in(R.c.entity_pk_value, ids)


def _answered_ids(
    viewer: Viewer, db: Databases, ids: list[int] | None, among: list[int] | None = None
) -> list[int]:
    """Reviews of the viewer's products with an approved (published) answer; `among`: only
    of these reviews (a list page asks for its own rows, not for every answered review)."""
    S = review_responses
    query = select(S.c.review_id).where(
        S.c.published_body.is_not(None), scope.partner_filter(S.c.partner_id, viewer)
    )
    if ids is not None:
        query = query.where(sql.int_in(S.c.product_id, ids))
    if among is not None:
        if not among:
            return []
        query = query.where(sql.int_in(S.c.review_id, among))
    with db.portal.connect() as conn:
        return [int(r) for r in conn.execute(query).scalars()]


def _names(db: Databases, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    names = product_names().subquery()
    with db.magento.connect() as conn:
        rows = conn.execute(select(names.c.entity_id, names.c.name).where(
            sql.int_in(names.c.entity_id, ids)
        ))  # fmt: skip
        return {int(pid): str(name) for pid, name in rows}


def _list_conditions(
    ids: list[int] | None, filters: ReviewFilters, answered: list[int]
) -> list[ColumnElement[bool]]:
    conditions = [_product_filter(ids), _period(filters)]
    wanted_stars = sorted({int(s) for s in filters.stars if 1 <= int(s) <= 5})
    if wanted_stars:
        conditions.append(_whole_stars(_score()).in_(wanted_stars))
    if filters.answered is True:
        conditions.append(sql.int_in(R.c.review_id, answered))
    elif filters.answered is False and answered:
        conditions.append(~sql.int_in(R.c.review_id, answered))
    return conditions


def _list_query(ids: list[int] | None, filters: ReviewFilters, answered: list[int]) -> Select:
    """The list's rows; the stars (a subquery per row) only for the rows of one page."""
    return (
        select(
            R.c.review_id, R.c.created_at, R.c.entity_pk_value.label("product_id"),
            R.c.status_id, _whole_stars(_score()).label("stars"), D.c.title, D.c.detail,
            D.c.nickname, D.c.customer_id,
        )
        .join(D, D.c.review_id == R.c.review_id)
        .where(*_list_conditions(ids, filters, answered))
    )  # fmt: skip


@requires(REVIEWS_READ)
def list_reviews(
    viewer: Viewer,
    db: Databases,
    *,
    filters: ReviewFilters = ReviewFilters(),
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> ReviewPage:
    """One page of the viewer's reviews (every status), newest first, and how many match."""
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    number = max(0, int(page))
    ids = _products(viewer, db, filters)
    if ids == []:
        return ReviewPage(pd.DataFrame(columns=LIST_COLUMNS), 0, 0, size)
    # The answered filter needs every answered review; without it only the page's rows.
    answered = _answered_ids(viewer, db, ids) if filters.answered is not None else []
    base = _list_query(ids, filters, answered)
    counted = select(func.count()).select_from(R).where(*_list_conditions(ids, filters, answered))
    paged = base.order_by(R.c.created_at.desc(), R.c.review_id.desc())
    with db.magento.connect() as conn:
        total = int(conn.execute(counted).scalar() or 0)
        rows = conn.execute(paged.limit(size).offset(number * size)).mappings().all()
    frame = _frame(viewer, db, rows, ids=ids, filters=filters, answered=answered)
    return ReviewPage(frame, total, number, size)


def _frame(
    viewer: Viewer,
    db: Databases,
    rows: Sequence[RowMapping],
    *,
    ids: list[int] | None,
    filters: ReviewFilters,
    answered: list[int],
) -> pd.DataFrame:
    """The list's rows with their course names and whether each carries an approved answer
    (`answered` holds them all under the answered filter; else the rows' own are asked)."""
    shop_columns = [c for c in LIST_COLUMNS if c not in ("course", "answered")]
    frame = pd.DataFrame([dict(r) for r in rows], columns=shop_columns)
    names = _names(db, sorted({int(p) for p in frame["product_id"]}))
    frame.insert(3, "course", [names.get(int(p), "") for p in frame["product_id"]])
    page_ids = [int(r) for r in frame["review_id"]]
    done = (
        set(answered)
        if filters.answered is not None
        else set(_answered_ids(viewer, db, ids, among=page_ids))
    )
    frame["answered"] = [r in done for r in page_ids]
    return frame


# --- keyset slices (the partner API's cursor) ---------------------------------------------------

MAX_SLICE = 100
MAX_ID = 2**31 - 1
CURSOR_INVALID = "partner_api.cursor_invalid"
_CURSOR_KIND = "reviews"


@dataclass(frozen=True)
class ReviewSlice:
    rows: pd.DataFrame  # LIST_COLUMNS, newest first, as in ReviewPage
    next_cursor: str | None  # None: this was the last slice


def _cursor(created_at: datetime, review_id: int) -> str:
    raw = f"{_CURSOR_KIND}|{created_at.isoformat()}|{review_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at, review_id) of the last review of the previous slice, from `_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, stamp, review_id = raw.split("|")
        created_at, last_id = datetime.fromisoformat(stamp), int(review_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(CURSOR_INVALID) from None
    if kind != _CURSOR_KIND or created_at.tzinfo is not None:  # we write naive UTC only
        raise InvalidInput(CURSOR_INVALID)
    if not 1970 <= created_at.year < 2200 or not 0 < last_id <= MAX_ID:
        raise InvalidInput(CURSOR_INVALID)
    return created_at, last_id


@requires(REVIEWS_READ)
def reviews_after(
    viewer: Viewer,
    db: Databases,
    *,
    filters: ReviewFilters = ReviewFilters(),
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ReviewSlice:
    """Up to `limit` of the viewer's reviews after `cursor` (None: from the newest): the rows,
    filters and order of `list_reviews`, read by keyset (created_at + review_id, never
    OFFSET), so reviews written meanwhile neither repeat nor go missing."""
    size = max(1, min(int(limit), MAX_SLICE))
    after = _read_cursor(cursor) if cursor else None
    ids = _products(viewer, db, filters)
    if ids == []:
        return ReviewSlice(pd.DataFrame(columns=LIST_COLUMNS), None)
    # The answered filter needs every answered review; without it only the slice's rows.
    answered = _answered_ids(viewer, db, ids) if filters.answered is not None else []
    query = _list_query(ids, filters, answered)
    if after is not None:
        stamp, last_id = after
        query = query.where(
            or_(R.c.created_at < stamp, and_(R.c.created_at == stamp, R.c.review_id < last_id))
        )
    query = query.order_by(R.c.created_at.desc(), R.c.review_id.desc()).limit(size + 1)
    with db.magento.connect() as conn:
        rows = conn.execute(query).mappings().all()
    following = None
    if len(rows) > size:
        last = rows[size - 1]
        following = _cursor(last["created_at"], int(last["review_id"]))
    frame = _frame(viewer, db, rows[:size], ids=ids, filters=filters, answered=answered)
    return ReviewSlice(frame, following)


@requires(REVIEWS_READ)
def review_by_id(viewer: Viewer, db: Databases, *, review_id: int) -> dict[str, object] | None:
    """One of the viewer's reviews (any status) with its course name; None if not the
    viewer's or unknown."""
    ids = scope.product_ids(viewer, db)
    if ids == []:
        return None
    query = _list_query(ids, ReviewFilters(), []).where(R.c.review_id == int(review_id))
    with db.magento.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    found = dict(row)
    found["course"] = _names(db, [int(found["product_id"])]).get(int(found["product_id"]), "")
    return found


def _month_bounds(last_day: date, months: int) -> list[periods.Period]:
    first = periods.shift_day(last_day.replace(day=1), -(months - 1))
    return [periods.month_of(periods.shift_day(first, i)) for i in range(months)]


def _trend_months(filters: ReviewFilters, now: datetime) -> list[periods.Period]:
    """The trend's Berlin months: the filter's months (at most MAX_TREND_MONTHS, the latest),
    else the last TREND_MONTHS up to now's month."""
    last = filters.last_day or periods.berlin_today(now)
    if filters.first_day is not None:
        span = (last.year - filters.first_day.year) * 12 + last.month - filters.first_day.month + 1
        months = max(1, min(span, MAX_TREND_MONTHS))
    else:
        months = TREND_MONTHS
    return _month_bounds(last, months)


def _rounded(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]


Grouped = list[tuple[int, int, int, float]]  # product id, whole stars, reviews, sum of scores


@dataclass(frozen=True)
class _Figures:
    grouped: Grouped  # in the filter, by product id and stars
    answered: int  # in the filter, with a published answer
    months: dict[int, tuple[int, Decimal]]  # trend month index -> reviews, sum of scores


# The two groupings of `_figures`: each scored review is read once and counted in both.
_BY_COURSE, _BY_MONTH = 0, 1


def _figures(
    db: Databases,
    ids: list[int] | None,
    filters: ReviewFilters,
    months: list[periods.Period],
    answered: list[int],
) -> _Figures:
    """Every figure of the summary in one statement over the approved reviews in the filter's
    period or the trend's months. The inner query scores each review once (its votes joined
    and grouped) and marks it: trend month (-1: none; exact Berlin months in any dialect, a
    CASE over the UTC boundaries), in the filter or not, answered or not. Joined with a
    two-row table of groupings (GROUPING SETS without the dialect: SQLite has none), the
    reviews in the filter count per (course, whole stars) and those in the trend per month,
    so the shop returns about a hundred rows, not one per review."""
    trend = ReviewFilters(first_day=months[0].first_day, last_day=months[-1].last_day)
    month = case(
        (R.c.created_at < months[0].start, -1),
        *[(R.c.created_at < m.end, i) for i, m in enumerate(months)],
        else_=-1,
    )
    inside = case((_period(filters), 1), else_=0)
    done = (
        case((sql.int_in(R.c.review_id, answered), 1), else_=0)
        if answered
        else literal_column("0", Integer)
    )
    scored = (
        select(
            R.c.entity_pk_value.label("product_id"), month.label("month"),
            inside.label("inside"), done.label("answered"), func.avg(V.c.value).label("score"),
        )
        .join(V, V.c.review_id == R.c.review_id)
        .where(
            R.c.status_id == REVIEW_APPROVED, _product_filter(ids),
            or_(_period(filters), _period(trend)),
        )
        .group_by(*_REVIEW_GROUP)
        .subquery("scored")
    )  # fmt: skip
    groupings = union_all(
        select(literal_column(str(_BY_COURSE), Integer).label("breakdown")),
        select(literal_column(str(_BY_MONTH), Integer).label("breakdown")),
    ).subquery("groupings")
    by_course = groupings.c.breakdown == _BY_COURSE
    key = case((by_course, scored.c.product_id), else_=scored.c.month)
    stars = case((by_course, _whole_stars(scored.c.score)), else_=0)
    query = (
        select(
            groupings.c.breakdown, key, stars, func.count(), func.sum(scored.c.score),
            func.sum(scored.c.answered),
        )
        .select_from(scored)
        .join(groupings, or_(
            and_(by_course, scored.c.inside == 1),
            and_(groupings.c.breakdown == _BY_MONTH, scored.c.month >= 0),
        ))
        .group_by(groupings.c.breakdown, key, stars)
    )  # fmt: skip
    grouped: Grouped = []
    done_count = 0
    trend_months: dict[int, tuple[int, Decimal]] = {}
    with db.magento.connect() as conn:
        rows = conn.execute(query).all()
    for grouping, k, s, n, total, n_answered in rows:
        if grouping == _BY_COURSE:
            grouped.append((int(k), int(s), int(n), float(total)))
            done_count += int(n_answered)
        else:
            trend_months[int(k)] = (int(n), Decimal(total))
    return _Figures(sorted(grouped), done_count, trend_months)


def _trend(figures: _Figures | None, months: list[periods.Period]) -> pd.DataFrame:
    """Approved reviews and their average per trend month (the sum of the month's scores,
    exact where the driver returns decimals, over their count)."""
    found = figures.months if figures is not None else {}
    rows = []
    for i, month in enumerate(months):
        n, total = found.get(i, (0, Decimal(0)))
        rows.append(
            {"month": month.first_day, "count": n, "average": _rounded(total / n) if n else None}
        )
    return pd.DataFrame(rows, columns=["month", "count", "average"])


def _per_course(db: Databases, grouped: Grouped) -> pd.DataFrame:
    columns = ["product_id", "course", "count", "average"]
    counts: dict[int, int] = {}
    totals: dict[int, float] = {}
    for product_id, _stars, n, total in grouped:
        counts[product_id] = counts.get(product_id, 0) + n
        totals[product_id] = totals.get(product_id, 0.0) + total
    names = _names(db, sorted(counts))
    rows = [
        {
            "product_id": product_id,
            "course": names.get(product_id, ""),
            "count": n,
            "average": round(totals[product_id] / n, 2) if n >= MIN_FOR_AVERAGE else None,
        }
        for product_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))
    ]
    return pd.DataFrame(rows, columns=columns)


def _kind_of(viewer: Viewer, db: Databases) -> str | None:
    if viewer.partner_id is None:
        return None
    with db.portal.connect() as conn:
        kind = conn.execute(
            select(partners.c.kind).where(partners.c.partner_id == viewer.partner_id)
        ).scalar()
    return str(kind) if kind else None


def _marketplace(db: Databases, kind: str, filters: ReviewFilters) -> tuple[float | None, int]:
    """The average over approved reviews of every course of the kind (all partners): public
    figures of the shop, so no partner's own numbers are shown."""
    query = (
        select(courses.c.product_id)
        .join(partners, partners.c.partner_id == courses.c.partner_id)
        .where(partners.c.kind == kind)
    )
    with db.portal.connect() as conn:
        ids = [int(p) for p in conn.execute(query).scalars()]
    if not ids:
        return None, 0
    scored = _scored(ids, filters)
    totals = select(func.count(), func.avg(scored.c.score))
    with db.magento.connect() as conn:
        n, avg = conn.execute(totals).one()
    return _rounded(avg), int(n or 0)


@dataclass(frozen=True)
class _Answers:
    published: list[int]  # reviews with an approved (published) answer
    times: list[tuple[datetime, datetime]]  # review created, answer first approved


def _answers(viewer: Viewer, db: Databases, ids: list[int] | None) -> _Answers:
    """The viewer's answers that count for the summary, in one read of the portal: the
    reviews with a published answer and, for the time to answer, each first approval."""
    S = review_responses
    published = S.c.published_body.is_not(None)
    query = select(
        S.c.review_id, published.label("published"), S.c.review_created_at,
        S.c.first_approved_at,
    ).where(
        or_(published, S.c.first_approved_at.is_not(None)),
        scope.partner_filter(S.c.partner_id, viewer),
    )  # fmt: skip
    if ids is not None:
        query = query.where(sql.int_in(S.c.product_id, ids))
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return _Answers(
        published=[int(review_id) for review_id, shown, _c, _a in rows if shown],
        times=[(asked, done) for _r, _s, asked, done in rows if done is not None],
    )


_HOUR = timedelta(hours=1)


def _answer_hours(answers: _Answers, filters: ReviewFilters) -> list[float]:
    """Hours from each answered review in the filter's period to its answer's first approval."""
    start, end = _bounds(filters)
    return [
        max((done - asked) / _HOUR, 0.0)
        for asked, done in answers.times
        if (start is None or asked >= start) and (end is None or asked < end)
    ]


def _answered_count(
    db: Databases, ids: list[int] | None, filters: ReviewFilters, answered: list[int]
) -> int:
    if not answered:
        return 0
    query = select(func.count()).where(
        R.c.status_id == REVIEW_APPROVED, _product_filter(ids), _period(filters),
        sql.int_in(R.c.review_id, answered),
    )  # fmt: skip
    with db.magento.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


@requires(REVIEWS_READ)
def review_summary(
    viewer: Viewer,
    db: Databases,
    *,
    filters: ReviewFilters = ReviewFilters(),
    now: datetime | None = None,
) -> Summary:
    """The figures over the viewer's approved reviews in the course and period filter (the
    stars and answered filters narrow the list only)."""
    ids = _products(viewer, db, filters)
    months = _trend_months(filters, now or now_utc())
    if ids == []:
        empty = pd.DataFrame(columns=["product_id", "course", "count", "average"])
        return Summary(0, None, empty, dict.fromkeys(range(1, 6), 0), _trend(None, months))
    answers = _answers(viewer, db, ids)
    figures = _figures(db, ids, filters, months, answers.published)
    grouped = figures.grouped
    count = sum(n for _p, _s, n, _t in grouped)
    average = round(sum(t for _p, _s, _n, t in grouped) / count, 2) if count else None
    distribution = dict.fromkeys(range(1, 6), 0)
    for _product, stars, n, _total in grouped:
        if 1 <= stars <= 5:
            distribution[stars] += n
    answered = figures.answered
    hours = _answer_hours(answers, filters)
    return Summary(
        count=count,
        average=average,
        per_course=_per_course(db, grouped),
        distribution=distribution,
        trend=_trend(figures, months),
        answered=answered,
        median_hours_to_answer=round(statistics.median(hours), 1) if hours else None,
        answered_share=round(answered / count, 4) if count else None,
    )


@dataclass(frozen=True)
class Marketplace:
    kind: str  # the partner's category (miomente_partners.kind)
    average: float | None  # over every approved review of the category's courses
    count: int


@requires(REVIEWS_READ)
def marketplace_average(
    viewer: Viewer, db: Databases, *, filters: ReviewFilters = ReviewFilters()
) -> Marketplace | None:
    """The average of the viewer's category over all partners, in the filter's period (the
    course filter does not apply); None for staff over all partners. It reads the whole
    category, the same for each of its partners: the page caches it (components/cache.py)."""
    kind = _kind_of(viewer, db)
    if kind is None:
        return None
    period = ReviewFilters(first_day=filters.first_day, last_day=filters.last_day)
    average, count = _marketplace(db, kind, period)
    return Marketplace(kind, average, count)


@requires(REVIEWS_READ)
def answered_share(viewer: Viewer, db: Databases, *, product_ids: list[int]) -> float | None:
    """Share (0..1) of the approved reviews of `product_ids` (within the viewer's scope) that
    carry an approved answer; None without any approved review. For the quality score."""
    filters = ReviewFilters(product_ids=tuple(int(p) for p in product_ids))
    ids = _products(viewer, db, filters)
    if not ids:
        return None
    query = select(func.count()).where(
        R.c.status_id == REVIEW_APPROVED, sql.int_in(R.c.entity_pk_value, ids)
    )
    with db.magento.connect() as conn:
        total = int(conn.execute(query).scalar() or 0)
    if not total:
        return None
    return _answered_count(db, ids, filters, _answered_ids(viewer, db, ids)) / total
