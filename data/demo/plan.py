"""The world: partners, courses and their dates, and the portal and catalog rows made from it.

`plan_world()` draws partners (the named ones first, then generated ones with Zipf-like
weights), their courses and a course calendar sized to the expected demand; `portal_rows()`
and `catalog_rows()` turn that world into table rows.
"""

from __future__ import annotations

import bisect
import random
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

import bcrypt

from data import portal_schema as p
from data.demo.clock import DAY, HOUR, Clock, add_months, hm
from data.demo.content import (
    CITIES,
    DEMO_PASSWORD,
    FIRST_NAMES,
    KIND_ORDER,
    KINDS,
    LAST_NAMES,
    NAMED_PARTNERS,
    PHONE_BLOCKS,
    STAFF_USER,
    STREETS,
    CourseSpec,
    Kind,
    NamedPartner,
    slugify,
)
from data.demo.load import (
    L_COURSES,
    L_DECIMAL,
    L_INT,
    L_PARTNERS,
    L_PRODUCTS,
    L_TEXT,
    L_USERS,
    L_VARCHAR,
    Layout,
    Rows,
)
from data.shop import schema as m


@dataclass(slots=True)
class Course:
    product_id: int
    partner: Partner
    spec: CourseSpec
    sku: str
    name: str
    price: int  # cents, gross
    seats: int
    weight: float
    enabled: bool
    created: int
    # the course's dates, sorted by start; `free` is decremented as orders book seats. Typed
    # arrays, not lists: a million orders need about 600,000 dates, and an int in a list
    # costs 36 bytes where an array slot costs 4 or 8.
    starts: array[int] = field(default_factory=lambda: array("q"))
    free: array[int] = field(default_factory=lambda: array("i"))
    date_ids: array[int] = field(default_factory=lambda: array("i"))
    prices: array[int] = field(default_factory=lambda: array("i"))


@dataclass(slots=True)
class Partner:
    partner_id: int
    slug: str
    name: str
    kind: Kind
    legal_name: str
    street: str
    postcode: str
    city: str
    email: str
    phone: str
    tax_number: str
    vat_id: str | None
    commission: Decimal
    small_business: bool
    prefix: str
    contact: str
    created: int
    weight: float = 0.0
    courses: list[Course] = field(default_factory=list)
    course_cum: list[float] = field(default_factory=list)


class DateColumns:
    """The course calendar as typed columns; date_id = position + 1.

    A million orders need about 600,000 dates: as tuples of Python ints they took some
    250 MB, as columns they take about 27 MB. `rows()` makes the L_DATES tuples of a slice
    when it is loaded, `clear()` frees the columns once they are (the orders need only each
    course's own arrays).
    """

    __slots__ = ("cancelled", "created", "ends", "prices", "products", "seats", "starts", "updated")

    def __init__(self) -> None:
        self.products = array("i")
        self.starts = array("q")
        self.ends = array("q")
        self.seats = array("i")
        self.prices = array("i")
        self.cancelled = array("b")
        self.created = array("q")
        self.updated = array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def append(
        self,
        product_id: int,
        start: int,
        end: int,
        seats: int,
        price: int,
        cancelled: bool,
        created: int,
    ) -> None:
        """Add a date; it counts as last updated when it was created."""
        self.products.append(product_id)
        self.starts.append(start)
        self.ends.append(end)
        self.seats.append(seats)
        self.prices.append(price)
        self.cancelled.append(cancelled)
        self.created.append(created)
        self.updated.append(created)

    def permute(self, order: array[int]) -> None:
        """Reorder every column: position k gets the date that was at order[k]."""
        for name in self.__slots__:
            column = getattr(self, name)
            setattr(self, name, array(column.typecode, map(column.__getitem__, order)))

    def rows(self, begin: int, end: int) -> Rows:
        """The L_DATES rows of dates begin+1 .. end (positions begin .. end-1)."""
        status = (m.DATE_ACTIVE, m.DATE_CANCELLED)
        end = min(end, len(self))
        return [
            (
                k + 1,
                self.products[k],
                self.starts[k],
                self.ends[k],
                self.seats[k],
                self.prices[k],
                status[self.cancelled[k]],
                None,
                self.created[k],
                self.updated[k],
            )
            for k in range(begin, end)
        ]

    def clear(self) -> None:
        for name in self.__slots__:
            setattr(self, name, array(getattr(self, name).typecode))


@dataclass
class World:
    today: date
    clock: Clock
    now: int  # the moment the demo data describes: today 08:00 in Berlin, as UTC seconds
    window_start: int  # first order
    partners: list[Partner]
    courses: list[Course]
    partner_cum: list[float]
    dates: DateColumns


def _partner_count(orders: int) -> int:
    return max(len(NAMED_PARTNERS), orders // 500)


def _zipf_weight(rank: int) -> float:
    # Zipf-Mandelbrot: the offset keeps the top flat enough that the biggest partner holds
    # about 1 % of all items at a million orders (~14,000 items), and ~7 % at 10,000.
    return 1.0 / (rank + 20)


def _named_partner(rng: random.Random, index: int, named: NamedPartner, first: int) -> Partner:
    return Partner(
        partner_id=index + 1,
        slug=named.slug,
        name=named.name,
        kind=KINDS[named.kind],
        legal_name=named.legal_name,
        street=named.street,
        postcode=named.postcode,
        city=named.city,
        email=named.email,
        phone=named.phone,
        tax_number=named.tax_number,
        vat_id=named.vat_id,
        commission=Decimal(named.commission),
        small_business=named.small_business,
        prefix=named.prefix,
        contact=named.contact,
        created=first - rng.randint(400, 2200) * DAY,
    )


_GENERATED_KIND_WEIGHTS = (0.40, 0.15, 0.10, 0.08, 0.07, 0.07, 0.07, 0.06)  # as in KIND_ORDER
_LEGAL_FORMS = ("GmbH", "UG (haftungsbeschränkt)", "GbR", "e.K.")


def _generated_partner(rng: random.Random, partner_id: int, slugs: set[str], first: int) -> Partner:
    """A plausible extra partner ("Kochschule Becker" in Bonn) for large order counts."""
    kind = KINDS[rng.choices(KIND_ORDER, _GENERATED_KIND_WEIGHTS)[0]]
    city, prefix, _weight = rng.choices(CITIES, [c[2] for c in CITIES])[0]
    last = rng.choice(LAST_NAMES)
    name = f"{rng.choice(kind.brand_words)} {last}"
    slug = base = slugify(f"{name} {city}")
    n = 2
    while slug in slugs:
        slug, n = f"{base}-{n}", n + 1
    slugs.add(slug)
    small = rng.random() < 0.12  # Kleinunternehmer (§ 19 UStG): no VAT id
    area, block = rng.choice(PHONE_BLOCKS)
    tax_number = f"{rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(1, 99999):05d}"
    return Partner(
        partner_id=partner_id,
        slug=slug,
        name=name,
        kind=kind,
        legal_name=(
            f"{rng.choice(FIRST_NAMES)} {last}" if small else f"{name} {rng.choice(_LEGAL_FORMS)}"
        ),
        street=f"{rng.choice(STREETS)} {rng.randint(1, 140)}",
        postcode=f"{prefix}{rng.randint(0, 999):03d}",
        city=city,
        email=f"kontakt@{slug}.example",
        phone=f"+49 {area} {block} {rng.randint(0, 999):03d}",
        tax_number=tax_number,
        vat_id=None if small else f"DE{rng.randint(100_000_000, 999_999_999)}",
        commission=Decimal(rng.choice(("20.00", "22.50", "25.00", "25.00", "27.50", "30.00"))),
        small_business=small,
        prefix=f"P{partner_id:04d}",
        contact=f"{rng.choice(FIRST_NAMES)} {last}",
        created=first - rng.randint(60, 1800) * DAY,
    )


def _plan_partners(rng: random.Random, count: int, world_first: int) -> list[Partner]:
    partners = [
        _named_partner(rng, i, named, world_first) for i, named in enumerate(NAMED_PARTNERS)
    ]
    slugs = {pt.slug for pt in partners}
    for partner_id in range(len(partners) + 1, count + 1):
        partners.append(_generated_partner(rng, partner_id, slugs, world_first))
    for rank, partner in enumerate(partners, start=1):
        partner.weight = _zipf_weight(rank)
    return partners


def _plan_courses(rng: random.Random, partners: list[Partner]) -> list[Course]:
    courses: list[Course] = []
    for index, partner in enumerate(partners):
        specs = partner.kind.courses
        # Named partners show eight courses each (>= 60 in total even at the smallest size).
        chosen = specs[:8] if index < len(NAMED_PARTNERS) else rng.sample(specs, rng.randint(3, 7))
        low, high = partner.kind.seats
        for n, spec in enumerate(chosen):
            disabled = n > 0 and rng.random() < 0.08  # the first course always sells
            price = (
                spec.price * 100
                + rng.choice((0, 0, 0, 500, -500, 1000))
                - (10 if rng.random() < 0.3 else 0)
            )  # some prices end in ,90
            course = Course(
                product_id=len(courses) + 1,
                partner=partner,
                spec=spec,
                sku=f"{partner.prefix}-{spec.code}-01",
                name=spec.name,
                price=price,
                seats=rng.randint(low, high),
                weight=rng.uniform(0.5, 2.0) * (0.3 if disabled else 1),
                enabled=not disabled,
                created=partner.created + rng.randint(1, 50) * DAY,
            )
            courses.append(course)
            partner.courses.append(course)
        partner.course_cum = cumulative([c.weight for c in partner.courses])
    return courses


def cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def pick(rng: random.Random, cum: list[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


# Average seats one order books (items x tickets); sizes the course calendars.
_SEATS_PER_ORDER = 1.38 * 1.75
_TARGET_FILL = 0.65
# Even a quiet course runs about every three weeks.
_MIN_DATES_PER_DAY = 1 / 21


def _schedule(rng: random.Random, world: World, orders: int) -> None:
    """Course dates from 24 months back to 6 months ahead, sized to the expected demand."""
    clock, today_index = world.clock, world.clock.index(world.today)
    first_index = clock.index(add_months(world.today, -24))
    last_index = clock.index(add_months(world.today, 6))
    span = last_index - first_index + 1
    total_weight = sum(pt.weight for pt in world.partners)
    day_cum = {
        kind.name: cumulative(
            [
                kind.day_weights[clock.day(i).weekday()] * _season(clock.day(i).month)
                for i in range(first_index, last_index + 1)
            ]
        )
        for kind in KINDS.values()
    }
    raw = DateColumns()  # in the order they are drawn; sorted by start below
    taken: set[tuple[int, int]] = set()  # (product, day) of the demo logins' courses
    for index, partner in enumerate(world.partners):
        share = partner.weight / total_weight
        course_total = partner.course_cum[-1]
        for course in partner.courses:
            demand_per_day = orders * _SEATS_PER_ORDER * share * course.weight / course_total / 730
            rate = max(demand_per_day / (course.seats * _TARGET_FILL), _MIN_DATES_PER_DAY)
            end = last_index if course.enabled else today_index - rng.randint(60, 400)
            days = sorted(
                first_index + d
                for d in rng.choices(
                    range(span), cum_weights=day_cum[partner.kind.name], k=round(rate * span)
                )
                if first_index + d <= end
            )
            for start, pid, end_s, seats, price, status, created, day in _course_dates(
                rng, world, course, days
            ):
                raw.append(pid, start, end_s, seats, price, status == m.DATE_CANCELLED, created)
                if index < 2:  # the demo logins, see _this_week_dates
                    taken.add((pid, day))
    for start, pid, end_s, seats, price, _status, created, _day in _this_week_dates(
        rng, world, taken
    ):
        raw.append(pid, start, end_s, seats, price, False, created)
    raw.permute(_start_order(raw, len(world.courses) + 1))
    for k in range(len(raw)):
        date_id, start, cancelled = k + 1, raw.starts[k], raw.cancelled[k]
        course = world.courses[raw.products[k] - 1]
        course.starts.append(start)
        # A cancelled date sells nothing; zero free seats keeps the booking loop simple.
        course.free.append(0 if cancelled else raw.seats[k])
        course.date_ids.append(date_id)
        course.prices.append(raw.prices[k])
        if cancelled:
            created = raw.created[k]
            updated = max(created, min(start - rng.randint(2, 20) * DAY, world.now - HOUR))
            raw.updated[k] = updated
    world.dates = raw


def _start_order(dates: DateColumns, products: int) -> array[int]:
    """Positions of `dates` sorted by (start, product), through one int key per date.

    (start, product) is unique, a course having at most one date per day and slot, so this is
    the order a sort of the whole rows gives, without a tuple per date. `products` exceeds
    every product id; the position in the low digits makes every key distinct.
    """
    n = len(dates)
    keys = [
        (start * products + product) * n + k
        for k, (start, product) in enumerate(zip(dates.starts, dates.products, strict=True))
    ]
    keys.sort()
    return array("q", (key % n for key in keys))


def _season(month: int) -> float:
    return (1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 0.8, 0.8, 0.95, 1.05, 1.15, 1.3)[month - 1]


def _course_dates(
    rng: random.Random, world: World, course: Course, days: list[int]
) -> Iterator[tuple[int, int, int, int, int, str, int, int]]:
    kind, used = course.partner.kind, set()
    for day in days:
        weekend = world.clock.day(day).weekday() >= 5
        slots = kind.weekend_slots if weekend else kind.weekday_slots
        slot = rng.choice(slots)
        if (day, slot) in used:
            free_slots = [s for s in slots if (day, s) not in used]
            if not free_slots:
                continue
            slot = rng.choice(free_slots)
        used.add((day, slot))
        yield _date_row(rng, world, course, day, slot)


def _date_row(
    rng: random.Random, world: World, course: Course, day: int, slot: int
) -> tuple[int, int, int, int, int, str, int, int]:
    start = world.clock.utc(day, slot)
    seats = course.seats if rng.random() < 0.85 else rng.randint(8, 20)
    price = course.price if rng.random() < 0.9 else course.price + rng.choice((-1000, 1000, 1500))
    cancelled = rng.random() < 0.015
    # Published well before anyone can book it (bookings look at most ~200 days ahead).
    created = max(course.created, start - (240 + rng.randint(0, 60)) * DAY)
    status = m.DATE_CANCELLED if cancelled else m.DATE_ACTIVE
    return (
        start,
        course.product_id,
        start + course.spec.minutes * 60,
        seats,
        price,
        status,
        created,
        day,
    )


def _this_week_dates(
    rng: random.Random, world: World, taken: set[tuple[int, int]]
) -> Iterator[tuple[int, int, int, int, int, str, int, int]]:
    """The demo logins' dashboards show this week: each gets a date on every day around today."""
    today = world.clock.index(world.today)
    for partner in world.partners[:2]:
        enabled = [c for c in partner.courses if c.enabled]
        for offset in range(-2, 6):
            course = enabled[(offset + 2) % len(enabled)]
            day = today + offset
            if (course.product_id, day) in taken:
                continue
            weekend = world.clock.day(day).weekday() >= 5
            slot = (partner.kind.weekend_slots if weekend else partner.kind.weekday_slots)[-1]
            start, pid, end, seats, price, _status, created, d = _date_row(
                rng, world, course, day, slot
            )
            yield start, pid, end, seats, price, m.DATE_ACTIVE, created, d


def plan_world(rng: random.Random, orders: int, today: date) -> World:
    clock = Clock(add_months(today, -26), add_months(today, 7))
    now = clock.utc(clock.index(today), hm(8))
    window_start = now - 730 * DAY
    partners = _plan_partners(rng, _partner_count(orders), window_start)
    courses = _plan_courses(rng, partners)
    world = World(
        today=today,
        clock=clock,
        now=now,
        window_start=window_start,
        partners=partners,
        courses=courses,
        partner_cum=cumulative([pt.weight for pt in partners]),
        dates=DateColumns(),
    )
    _schedule(rng, world, orders)
    return world


# =============================================================================================
# Portal and catalog rows
# =============================================================================================


@cache
def _demo_hash(seed: int) -> str:
    """bcrypt of the demo password, computed once: bcrypt is slow on purpose.

    The salt comes from the seed so that the same seed gives the same database; the password
    is public anyway.
    """
    alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    salt_rng = random.Random(f"salt-{seed}")
    # The 22nd character carries only 2 bits; the other alphabet letters would be normalised.
    salt = "".join(salt_rng.choice(alphabet) for _ in range(21)) + salt_rng.choice(".Oeu")
    return bcrypt.hashpw(DEMO_PASSWORD.encode(), f"$2b$12${salt}".encode()).decode("ascii")


def portal_rows(world: World, seed: int) -> dict[Layout, Rows]:
    password = _demo_hash(seed)
    partner_rows: list[tuple] = []
    user_rows: list[tuple] = []
    course_rows: list[tuple] = []
    staff_created = min(pt.created for pt in world.partners)
    user_rows.append(
        (
            1,
            STAFF_USER[0],
            STAFF_USER[1],
            STAFF_USER[2],
            password,
            p.ROLE_STAFF,
            None,
            "de",
            0,
            True,
            staff_created,
        )
    )
    for pt in world.partners:
        partner_rows.append(
            (
                pt.partner_id,
                pt.slug,
                pt.name,
                pt.kind.name,
                pt.legal_name,
                pt.street,
                pt.postcode,
                pt.city,
                "DE",
                pt.email,
                pt.phone,
                pt.tax_number,
                pt.vat_id,
                pt.commission,
                pt.small_business,
                True,
                pt.created,
                pt.created + 7 * DAY,
            )
        )
        user_rows.append(
            (
                pt.partner_id + 1,
                pt.slug,
                pt.contact,
                pt.email,
                password,
                p.ROLE_PARTNER,
                pt.partner_id,
                "de",
                0,
                True,
                pt.created + DAY,
            )
        )
    for course in world.courses:
        course_rows.append(
            (
                course.product_id,
                course.partner.partner_id,
                course.product_id,
                course.sku,
                course.created,
            )
        )
    return {L_PARTNERS: partner_rows, L_USERS: user_rows, L_COURSES: course_rows}


def catalog_rows(rng: random.Random, world: World) -> dict[Layout, Rows]:
    attr = {code: aid for code, (aid, _backend) in m.PRODUCT_ATTRIBUTES.items()}
    products: Rows = []
    values: dict[Layout, Rows] = {L_VARCHAR: [], L_TEXT: [], L_DECIMAL: [], L_INT: []}

    def add(layout: Layout, code: str, entity: int, value: object) -> None:
        rows = values[layout]
        rows.append((len(rows) + 1, attr[code], 0, entity, value))

    for course in world.courses:
        pt, spec, pid = course.partner, course.spec, course.product_id
        products.append((pid, 4, "virtual", course.sku, course.created, course.created + DAY))
        add(L_VARCHAR, "name", pid, course.name)
        add(L_VARCHAR, "url_key", pid, f"{slugify(course.name)}-{pt.slug}")
        add(L_TEXT, "description", pid, _description(course))
        # Some products lack SEO fields or a short text, as in any real catalog.
        if rng.random() < 0.9:
            add(L_TEXT, "short_description", pid, spec.teaser)
        if rng.random() < 0.85:
            add(L_VARCHAR, "meta_title", pid, f"{course.name} in {pt.city} | Miomente")
        if rng.random() < 0.75:
            meta = f"{course.name} bei {pt.name} in {pt.city}: {spec.teaser}"
            add(L_VARCHAR, "meta_description", pid, meta[:255])
        add(L_DECIMAL, "price", pid, course.price)
        add(L_INT, "status", pid, m.PRODUCT_ENABLED if course.enabled else m.PRODUCT_DISABLED)
    return {L_PRODUCTS: products, **values}


def _description(course: Course) -> str:
    kind, spec = course.partner.kind, course.spec
    hours = f"{spec.minutes / 60:.1f}".replace(".0", "").replace(".", ",")
    return (
        f"<p>{spec.teaser}</p>\n<p>{kind.about}</p>\n<ul>\n"
        f"<li>Dauer: ca. {hours} Stunden</li>\n"
        f"<li>Gruppengröße: bis zu {course.seats} Personen</li>\n"
        f"<li>Inklusive: {kind.included}</li>\n"
        f"<li>Ort: {course.partner.street}, {course.partner.postcode} {course.partner.city}</li>\n"
        "</ul>"
    )
