"""The order maker: streams orders with their items, payments, addresses, status history
and reviews, booking seats on the planned course dates so that no date is overbooked."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from data.demo.clock import DAY, HOUR, to_datetime
from data.demo.content import (
    CANCEL_REASONS,
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    MAIL_DOMAINS,
    PAYMENT_METHODS,
    PHONE_BLOCKS,
    RATING_WEIGHTS,
    REJECT_REASONS,
    REVIEW_TEXTS,
    STREETS,
    mail_name,
)
from data.demo.load import (
    L_ADDRESSES,
    L_HISTORY,
    L_ITEMS,
    L_ORDERS,
    L_PAYMENTS,
    L_REVIEW_DETAILS,
    L_REVIEWS,
    L_VOTES,
    ORDER_LAYOUTS,
    Layout,
    Rows,
)
from data.demo.plan import Course, Partner, World, cumulative, pick
from data.shop import schema as m

_STATE_OF = {status: state for status, _label, state, _default in m.ORDER_STATUSES}
_PAID = {m.STATUS_PENDING_PARTNER, m.STATUS_CONFIRMED, "complete", "closed", "holded"}
# Statuses every demo must show at least once (past events show "complete" anyway). Small
# order counts can miss one by chance, so the newest orders take any that is still missing.
_MUST_SHOW = (
    "pending",
    "pending_payment",
    "payment_review",
    "holded",
    m.STATUS_PENDING_PARTNER,
    m.STATUS_CONFIRMED,
    m.STATUS_REJECTED,
    "canceled",
    "closed",
)


@dataclass(frozen=True, slots=True)
class _Fate:
    status: str
    state: str
    method: str
    history: list[tuple[int, str, str, int]]  # (time, status, comment, customer notified)
    updated: int
    paid: bool
    refunded: bool


def _net(gross: int) -> int:
    """Net cents of a gross amount at 19 % VAT, rounded half up."""
    return (gross * 200 + 119) // 238


# fmt: off
# When people buy (Berlin time): evenings, Sundays, and Christmas gifts in November/December.
_ORDER_HOUR = (0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.8, 3.2, 3.3,
               3.4, 3.3, 3.2, 3.2, 3.3, 3.6, 4.0, 4.6, 5.2, 5.0, 3.8, 2.0)
_ORDER_WEEKDAY = (1.05, 1.0, 1.0, 1.0, 0.95, 0.85, 1.15)
_ORDER_MONTH = (0.9, 0.85, 0.9, 0.95, 0.95, 0.85, 0.8, 0.8, 0.9, 1.0, 1.35, 1.75)
# fmt: on


class OrderMaker:
    """Streams orders in creation order; tracks sold seats so that no date is overbooked."""

    def __init__(self, rng: random.Random, world: World, orders: int) -> None:
        self.rng, self.world, self.orders = rng, world, orders
        self.now = world.now
        self._slot_start, self._slot_cum, self._slot_gift = self._order_slots()
        self.customers = max(50, int(orders * 0.55))
        self.ids = dict.fromkeys(("item", "history", "payment", "address", "review"), 0)
        self.counts: dict[str, int] = dict.fromkeys(_MUST_SHOW, 0)
        self.last_created = world.window_start
        self.items_total = 0
        self.reviews_total = 0
        self.method_cum = cumulative([w for _m, _l, w in PAYMENT_METHODS])
        self.city_cum = cumulative([c[2] for c in CITIES])
        self.rating_cum = cumulative([w for _v, w in RATING_WEIGHTS])

    def _order_slots(self) -> tuple[list[int], list[float], list[bool]]:
        """Hourly slots over the 24 months before now, weighted: growth, season, time of day."""
        clock, world = self.world.clock, self.world
        starts, weights, gift = [], [], []
        first = clock.index(to_datetime(world.window_start).date()) - 1
        for index in range(first, clock.index(world.today) + 1):
            day = clock.day(index)
            day_weight = _ORDER_WEEKDAY[day.weekday()] * _ORDER_MONTH[day.month - 1]
            for hour in range(24):
                start = clock.utc(index, hour * 60)
                if start < world.window_start or start >= world.now:
                    continue
                growth = 1.0 + 0.5 * (start - world.window_start) / (730 * DAY)
                starts.append(start)
                weights.append(day_weight * _ORDER_HOUR[hour] * growth)
                gift.append(day.month in (11, 12))
        return starts, cumulative(weights), gift

    def _created(self, i: int) -> tuple[int, bool]:
        # Evenly spaced quantiles through the weighted slots: times rise with the order id.
        u = (i + self.rng.random()) / self.orders * self._slot_cum[-1]
        slot = min(bisect.bisect_right(self._slot_cum, u), len(self._slot_cum) - 1)
        low = self._slot_cum[slot - 1] if slot else 0.0
        share = (u - low) / (self._slot_cum[slot] - low)
        created = self._slot_start[slot] + int(share * HOUR)
        created = min(max(created, self.last_created + 1), self.now - 1)
        self.last_created = created
        return created, self._slot_gift[slot]

    # --- booking -------------------------------------------------------------------------

    def _book(self, course: Course, created: int, lead: int, qty: int) -> int:
        """Index of a date of `course` with `qty` free seats after `created`, or -1."""
        starts, free = course.starts, course.free
        earliest = created + 2 * HOUR
        latest = created + 230 * DAY  # dates are published 240+ days ahead
        i = bisect.bisect_left(starts, max(earliest, created + lead))
        stop = min(i + 40, len(starts))
        for k in range(i, stop):
            if starts[k] > latest:
                break
            if free[k] >= qty:
                free[k] -= qty
                return k
        low = bisect.bisect_left(starts, earliest)
        for k in range(i - 1, max(low, i - 40) - 1, -1):
            if free[k] >= qty:
                free[k] -= qty
                return k
        return -1

    def _items_for(
        self, partner: Partner, created: int, gift: bool, used: set[int]
    ) -> tuple[Course, int, int] | None:
        rng = self.rng
        qty = 1 if (r := rng.random()) < 0.35 else 2 if r < 0.9 else 3
        mean = (45 if gift else 24) * DAY
        lead = min(int(rng.expovariate(1 / mean)), 200 * DAY)
        for _attempt in range(4):
            course = partner.courses[pick(rng, partner.course_cum)]
            if course.product_id in used:
                continue
            index = self._book(course, created, lead, qty)
            if index < 0 and qty > 1:
                qty = 1
                index = self._book(course, created, lead, qty)
            if index >= 0:
                used.add(course.product_id)
                return course, index, qty
        return None

    def _pick_items(self, created: int, gift: bool) -> list[tuple[Course, int, int]]:
        rng, world = self.rng, self.world
        count = 1 if (r := rng.random()) < 0.72 else 2 if r < 0.93 else 3
        first = world.partners[pick(rng, world.partner_cum)]
        owners = [first] * count
        if rng.random() < 0.03:  # one basket, two partners
            second = first
            while second is first:
                second = world.partners[pick(rng, world.partner_cum)]
            owners = [first, second] + ([rng.choice((first, second))] if count == 3 else [])
        items: list[tuple[Course, int, int]] = []
        used: set[int] = set()
        for owner in owners:
            picked = self._items_for(owner, created, gift, used)
            if picked:
                items.append(picked)
        for _attempt in range(8):  # sold out: look elsewhere, as a customer would
            if items:
                break
            partner = world.partners[pick(rng, world.partner_cum)]
            picked = self._items_for(partner, created, gift, used)
            if picked:
                items.append(picked)
        return items

    # --- status --------------------------------------------------------------------------

    def _status(self, i: int, created: int, last_start: int) -> str:
        rng, now = self.rng, self.now
        age = (now - created) / DAY
        near_end = i >= self.orders - len(_MUST_SHOW) * 2 and last_start > now
        if near_end and (missing := [s for s in _MUST_SHOW if not self.counts[s]]):
            return missing[0]
        r = rng.random()
        table: tuple[tuple[str, float], ...]
        if last_start > now:  # something still to come
            table = (
                ("pending", 0.03 if age < 1 else 0.0),
                ("pending_payment", 0.05 if age < 4 else 0.004),
                ("payment_review", 0.02 if age < 3 else 0.003),
                ("fraud", 0.002),
                ("holded", 0.012),
                (m.STATUS_REJECTED, 0.035),
                ("canceled", 0.025),
                ("closed", 0.02),
                (m.STATUS_PENDING_PARTNER, 0.04 + 0.8 * math.exp(-age / 5)),
            )
            fallback = m.STATUS_CONFIRMED
        else:
            since = (now - last_start) / DAY
            table = (
                ("closed", 0.05),
                ("canceled", 0.035),
                (m.STATUS_REJECTED, 0.025),
                ("holded", 0.006),
                (m.STATUS_CONFIRMED, 0.008 + 0.7 * math.exp(-since / 2)),
            )
            fallback = "complete"
        for status, chance in table:
            if r < chance:
                return status
            r -= chance
        return fallback

    def _history(
        self, status: str, method_label: str, created: int, first_start: int, last_end: int
    ) -> list[tuple[int, str, str, int]]:
        """(time, status, German comment, customer notified): 1-3 rows, oldest first."""
        rng, now = self.rng, self.now
        paid_at = created + rng.randint(20, 600)
        decided = min(created + int(rng.expovariate(1 / DAY)) + 600, first_start - HOUR)
        rows = [(created, "pending", "Bestellung über den Miomente-Shop eingegangen.", 1)]
        sent = f"Zahlung per {method_label} erhalten. Buchungsanfrage an den Partner gesendet."
        if status == "pending_payment":
            rows.append(
                (paid_at, status, "Warten auf Zahlungseingang (Vorkasse per Überweisung).", 1)
            )
        elif status in ("payment_review", "fraud"):
            rows.append((paid_at, status, "Zahlung wird vom Zahlungsanbieter geprüft.", 0))
        elif status == m.STATUS_PENDING_PARTNER:
            rows.append((paid_at, status, sent, 0))
        elif status in (m.STATUS_CONFIRMED, m.STATUS_REJECTED, "holded"):
            rows.append((paid_at, m.STATUS_PENDING_PARTNER, sent, 0))
            comment = {
                m.STATUS_CONFIRMED: "Termin vom Partner bestätigt.",
                m.STATUS_REJECTED: f"Vom Partner abgelehnt: {rng.choice(REJECT_REASONS)}",
                "holded": "Bestellung angehalten: Rückfrage zur Rechnungsadresse.",
            }[status]
            rows.append((decided, status, comment, 1))
        elif status == "complete":
            rows.append((decided, m.STATUS_CONFIRMED, "Termin vom Partner bestätigt.", 1))
            rows.append(
                (
                    last_end + rng.randint(1, 72) * HOUR,
                    status,
                    "Veranstaltung hat stattgefunden, Bestellung abgeschlossen.",
                    0,
                )
            )
        elif status == "closed":
            rows.append((decided, m.STATUS_CONFIRMED, "Termin vom Partner bestätigt.", 1))
            refund = decided + rng.randint(1, 14) * DAY
            rows.append(
                (
                    min(refund, first_start - HOUR),
                    status,
                    "Gutschrift erstellt, Betrag vollständig erstattet.",
                    1,
                )
            )
        elif status == "canceled":
            rows.append((created + rng.randint(1, 5) * DAY, status, rng.choice(CANCEL_REASONS), 1))
        out, last = [], created - 1
        for at, st, comment, notified in rows:
            at = max(last + 1, min(at, now - 60))
            out.append((at, st, comment, notified))
            last = at
        return out

    # --- people --------------------------------------------------------------------------

    def _person(self, key: int) -> tuple[str, str, str, str, str, str, str | None]:
        """first, last, email, street, city, postcode, phone; fixed per registered customer."""
        h = (key * 2_654_435_761) & 0xFFFF_FFFF
        first = FIRST_NAMES[h % len(FIRST_NAMES)]
        last = LAST_NAMES[(h >> 7) % len(LAST_NAMES)]
        email = (
            f"{mail_name(first)}.{mail_name(last)}{key % 89}"
            f"@{MAIL_DOMAINS[(h >> 13) % len(MAIL_DOMAINS)]}"
        )
        city, prefix, _w = CITIES[
            bisect.bisect_right(self.city_cum, (h >> 3) % 997 / 997 * self.city_cum[-1])
        ]
        street = f"{STREETS[(h >> 17) % len(STREETS)]} {h % 131 + 1}"
        postcode = f"{prefix}{(h >> 11) % 1000:03d}"
        area, block = PHONE_BLOCKS[(h >> 21) % len(PHONE_BLOCKS)]
        phone = f"+49 {area} {block} {(h >> 5) % 1000:03d}" if h % 10 < 7 else None
        return first, last, email, street, city, postcode, phone

    # --- one order -----------------------------------------------------------------------

    def make(self, i: int, out: dict[Layout, Rows]) -> None:
        rng = self.rng
        order_id = i + 1
        created, gift = self._created(i)
        items = self._pick_items(created, gift)
        if not items:
            return  # every course sold out around this time; the order never happened
        guest = rng.random() < 0.25
        customer_id = None if guest else int(self.customers * rng.random() ** 1.6) + 1
        person = self._person(customer_id if customer_id else 10_000_000 + rng.randrange(10**7))
        fate = self._fate(i, created, items)
        discount = 0
        if rng.random() < 0.04:  # a voucher code, booked on the first item
            first_gross = items[0][0].prices[items[0][1]] * items[0][2]
            discount = min(first_gross, rng.choice((500, 1000, 1500, first_gross // 10)))
        net, tax, gross, qty = self._add_items(order_id, created, items, fate, discount, out)
        grand = gross - discount
        first, last, email = person[0], person[1], person[2]
        out[L_ORDERS].append((
            order_id, f"{order_id:09d}", fate.state, fate.status, 1, customer_id, email, first,
            last, int(guest), grand, net, tax, -discount, grand if fate.paid else None,
            grand if fate.refunded else None, qty, "EUR", created, fate.updated,
        ))  # fmt: skip
        for at, status, comment, notified in fate.history:
            self.ids["history"] += 1
            row = (self.ids["history"], order_id, notified, 0, comment, status, at, "order")
            out[L_HISTORY].append(row)
        self.ids["payment"] += 1
        paid, refunded = (grand if fate.paid else None), (grand if fate.refunded else None)
        out[L_PAYMENTS].append((self.ids["payment"], order_id, fate.method, grand, paid, refunded))
        self._addresses(order_id, person, email, out)
        if fate.status == "complete" and rng.random() < 0.17:
            last_end = max(c.starts[idx] + c.spec.minutes * 60 for c, idx, _q in items)
            self._review(items[0][0], last_end, customer_id, first, last, out)

    def _fate(self, i: int, created: int, items: list[tuple[Course, int, int]]) -> _Fate:
        """Status, payment and timeline of an order, from its age and its events' dates."""
        starts = [course.starts[idx] for course, idx, _q in items]
        last_end = max(c.starts[idx] + c.spec.minutes * 60 for c, idx, _q in items)
        status = self._status(i, created, max(starts))
        if status in self.counts:
            self.counts[status] += 1
        if status == "pending_payment":
            method, label = "banktransfer", "Vorkasse per Überweisung"
        else:
            method, label, _share = PAYMENT_METHODS[pick(self.rng, self.method_cum)]
        history = self._history(status, label, created, min(starts), last_end)
        return _Fate(
            status=status,
            state="new" if status == "pending" else _STATE_OF[status],
            method=method,
            history=history,
            updated=history[-1][0],
            paid=status in _PAID,
            refunded=status == "closed",
        )

    def _add_items(
        self,
        order_id: int,
        created: int,
        items: list[tuple[Course, int, int]],
        fate: _Fate,
        discount: int,
        out: dict[Layout, Rows],
    ) -> tuple[int, int, int, int]:
        """Append the item rows; return the order's net, tax, gross and ticket count."""
        net_total = tax_total = gross_total = qty_total = 0
        canceled = fate.state == "canceled"
        for n, (course, idx, qty) in enumerate(items):
            gross = course.prices[idx] * qty
            unit_net = _net(course.prices[idx])
            net = unit_net * qty
            item_discount = discount if n == 0 else 0
            date_id = course.date_ids[idx]
            options = f'{{"info_buyRequest":{{"qty":{qty},"miomente_date_id":{date_id}}}}}'
            self.ids["item"] += 1
            out[L_ITEMS].append((
                self.ids["item"], order_id, None, course.product_id, course.sku, course.name,
                "virtual", qty, qty if canceled else 0, qty if fate.refunded else 0, unit_net,
                net, gross, gross - net, 19, item_discount,
                gross - item_discount if fate.refunded else 0, options, created, fate.updated,
                date_id,
            ))  # fmt: skip
            net_total += net
            tax_total += gross - net
            gross_total += gross
            qty_total += qty
        self.items_total += len(items)
        return net_total, tax_total, gross_total, qty_total

    def _addresses(
        self,
        order_id: int,
        person: tuple[str, str, str, str, str, str, str | None],
        email: str,
        out: dict[Layout, Rows],
    ) -> None:
        rng = self.rng
        first, last, _email, street, city, postcode, phone = person
        company = (
            f"{rng.choice(COMPANIES)} {rng.choice(LAST_NAMES)}" if rng.random() < 0.06 else None
        )
        self.ids["address"] += 1
        out[L_ADDRESSES].append((
            self.ids["address"], order_id, "billing", first, last, company, street, city,
            postcode, "DE", email, phone,
        ))  # fmt: skip
        if rng.random() < 0.2:  # a gift: the voucher goes to someone else
            other = self._person(20_000_000 + rng.randrange(10**7))
            self.ids["address"] += 1
            out[L_ADDRESSES].append((
                self.ids["address"], order_id, "shipping", other[0], other[1], None, other[3],
                other[4], other[5], "DE", email, None,
            ))  # fmt: skip

    def _review(
        self,
        course: Course,
        event_end: int,
        customer_id: int | None,
        first: str,
        last: str,
        out: dict[Layout, Rows],
    ) -> None:
        rng = self.rng
        created = event_end + rng.randint(12, 14 * 24) * HOUR + rng.randrange(HOUR)
        if created >= self.now:
            return
        fresh = self.now - created < 10 * DAY
        r = rng.random()
        if fresh:
            status = m.REVIEW_PENDING if r < 0.6 else m.REVIEW_APPROVED
        else:
            status = (
                m.REVIEW_APPROVED
                if r < 0.9
                else m.REVIEW_PENDING
                if r < 0.97
                else m.REVIEW_NOT_APPROVED
            )
        value = RATING_WEIGHTS[pick(rng, self.rating_cum)][0]
        titles, details = REVIEW_TEXTS[value]
        detail = rng.choice(details)
        if value >= 4 and rng.random() < 0.5:
            detail += f" „{course.name}“ bei {course.partner.name} können wir nur empfehlen."
        self.ids["review"] += 1
        rid, pid = self.ids["review"], course.product_id
        self.reviews_total += 1
        out[L_REVIEWS].append((rid, created, m.REVIEW_ENTITY_PRODUCT, pid, status))
        out[L_REVIEW_DETAILS].append(
            (rid, rid, 1, rng.choice(titles), detail, f"{first} {last[0]}.", customer_id)
        )
        out[L_VOTES].append((rid, value, "", 0, customer_id, pid, 1, rid, value * 20, value))

    def chunks(self, size: int) -> Iterator[dict[Layout, Rows]]:
        for begin in range(0, self.orders, size):
            out: dict[Layout, Rows] = {layout: [] for layout in ORDER_LAYOUTS}
            for i in range(begin, min(begin + size, self.orders)):
                self.make(i, out)
            yield out
