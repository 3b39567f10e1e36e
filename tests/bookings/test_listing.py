"""The Bestellungen list over the booking ledger, on SQLite and on PostgreSQL.

Rows are written straight into `miomente_bookings` with `booking()`, so these tests depend on
the ledger's shape only, not on how it is filled from Magento.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert

from core.db import Databases
from core.validation import InvalidInput
from data.access.viewer import Viewer
from data.bookings import listing as b
from data.bookings.listing import BookingFilter, list_bookings, parse_params, to_params
from data.portal_schema import BOOKING_STATUSES, bookings

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
T0 = datetime(2026, 11, 2, 9, 0)  # naive UTC, as stored


def booking(
    item_id: int,
    *,
    partner_id: int = 1,
    order_id: int | None = None,
    increment_id: str | None = None,
    product_id: int = 101,
    course: str = "Pasta-Grundkurs",
    booked_at: datetime = T0,
    event_at: datetime | None = datetime(2026, 12, 5, 17, 0),
    customer_name: str = "Anna Schmidt",
    customer_email: str = "anna@example.org",
    tickets: int = 2,
    gross: str = "89.00",
    refunded: str = "0",
    status: str = "new",
) -> dict[str, object]:
    """One ledger row; search_text is built as the ledger builds it (lowercased)."""
    order_id = order_id or 5000 + item_id
    increment_id = increment_id or f"1000{order_id}"
    return {
        "item_id": item_id,
        "order_id": order_id,
        "increment_id": increment_id,
        "partner_id": partner_id,
        "product_id": product_id,
        "sku": f"SKU-{product_id}",
        "course": course,
        "date_id": None,
        "event_at": event_at,
        "booked_at": booked_at,
        "customer_name": customer_name,
        "customer_email": customer_email,
        "tickets": tickets,
        "gross": Decimal(gross),
        "refunded": Decimal(refunded),
        "order_state": "processing",
        "order_status": "processing",
        "status": status,
        "search_text": f"{customer_name} {customer_email} {increment_id}".lower(),
        "shop_updated_at": booked_at,
        "synced_at": booked_at,
    }


def put(db: Databases, *rows: dict[str, object]) -> None:
    with db.portal.begin() as conn:
        conn.execute(insert(bookings), list(rows))


def items(page: b.BookingPage) -> list[int]:
    return [int(i) for i in page.rows["item_id"]]


@pytest.fixture
def db(portal_databases: Databases) -> Databases:
    return portal_databases


# --- pagination --------------------------------------------------------------------------------


def test_an_empty_result_is_page_one_of_one(db: Databases) -> None:
    page = list_bookings(ALPHA, db, page=7)
    assert (page.total, page.page, page.pages, page.page_size) == (0, 1, 1, 50)
    assert list(page.rows.columns) == b.LIST_COLUMNS
    assert page.rows.empty


def test_pages_sizes_last_page_and_beyond(db: Databases) -> None:
    put(db, *(booking(i, booked_at=T0 + timedelta(minutes=i)) for i in range(1, 121)))
    newest_first = list(range(120, 0, -1))
    for size in (25, 50, 100):
        first = list_bookings(ALPHA, db, page_size=size)
        assert (first.total, first.pages, first.page) == (120, -(-120 // size), 1)
        assert items(first) == newest_first[:size]
    last = list_bookings(ALPHA, db, page=5, page_size=25)
    assert (last.page, items(last)) == (5, newest_first[100:])
    beyond = list_bookings(ALPHA, db, page=6, page_size=25)
    assert (beyond.page, items(beyond)) == (5, newest_first[100:])
    assert list_bookings(ALPHA, db, page=0, page_size=25).page == 1
    assert list_bookings(ALPHA, db, page=-3, page_size=25).page == 1


def test_a_huge_page_number_is_clamped_before_any_query(db: Databases) -> None:
    put(db, *(booking(i, booked_at=T0 + timedelta(minutes=i)) for i in range(1, 8)))
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(db.portal, "before_cursor_execute", record)
    try:
        page = list_bookings(ALPHA, db, page=10**12, page_size=25)
    finally:
        event.remove(db.portal, "before_cursor_execute", record)
    assert (page.page, page.pages, items(page)) == (1, 1, [7, 6, 5, 4, 3, 2, 1])
    assert len(statements) == 2  # one count, one page
    assert "1000000000000" not in repr(statements)
    assert "24999999999975" not in repr(statements)


def _sorted_ids(rows: list[dict[str, object]], sort: str) -> list[int]:
    """The expected order, computed in Python: sort key, then item_id; no date is later than
    every date (last when ascending, first when descending)."""
    column = "event_at" if sort.startswith("event") else "booked_at"
    descending = sort.endswith("_desc")
    dated = [r for r in rows if r[column] is not None]
    undated = [r for r in rows if r[column] is None]
    dated.sort(key=lambda r: (r[column], r["item_id"]), reverse=descending)
    undated.sort(key=lambda r: r["item_id"], reverse=descending)
    ordered = undated + dated if descending else dated + undated
    return [int(r["item_id"]) for r in ordered]


@pytest.fixture
def shuffled(db: Databases) -> list[dict[str, object]]:
    """53 rows with many equal timestamps and some without a course date."""
    rng = random.Random(7)
    rows = [
        booking(
            i,
            booked_at=T0 + timedelta(hours=rng.randrange(6)),
            event_at=None if i % 9 == 0 else T0 + timedelta(days=rng.randrange(4)),
        )
        for i in rng.sample(range(1, 500), 53)
    ]
    put(db, *rows)
    return rows


@pytest.mark.parametrize("sort", b.SORTS)
def test_every_sort_is_a_stable_total_order_across_pages(
    db: Databases, shuffled: list[dict[str, object]], sort: str
) -> None:
    expected = _sorted_ids(shuffled, sort)
    paged: list[int] = []
    for number in (1, 2, 3):  # page 3 of 25 is read backwards from the end
        paged += items(list_bookings(ALPHA, db, sort=sort, page=number, page_size=25))
    assert paged == expected
    out = io.BytesIO()
    assert b.export_csv(ALPHA, db, sort=sort, out=out, chunk_size=4) == 53
    order_numbers = [line[0] for line in _csv(out)[1:]]
    by_number = {r["increment_id"]: r["item_id"] for r in shuffled}
    assert [by_number[n] for n in order_numbers] == expected


def test_unknown_sort_or_page_size_is_refused(db: Databases) -> None:
    with pytest.raises(InvalidInput) as exc:
        list_bookings(ALPHA, db, sort="price")
    assert exc.value.key == "validation.sort"
    with pytest.raises(InvalidInput) as exc:
        list_bookings(ALPHA, db, page_size=1000)
    assert exc.value.key == "validation.page_size"


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def varied(db: Databases) -> None:
    put(
        db,
        # 23:30 UTC on 23.11. is 00:30 on 24.11. in Berlin.
        booking(1, booked_at=datetime(2026, 11, 23, 23, 30), product_id=101, status="new"),
        booking(2, booked_at=datetime(2026, 11, 23, 22, 30), product_id=102, status="confirmed"),
        booking(
            3,
            booked_at=datetime(2026, 11, 25, 10, 0),
            event_at=datetime(2026, 12, 31, 23, 30),  # 1 January 2027, 00:30 in Berlin
            product_id=101,
            status="cancelled",
            customer_name="Jürgen Weiß",
            customer_email="juergen@example.org",
        ),
        booking(
            4,
            booked_at=datetime(2026, 11, 26, 10, 0),
            event_at=None,
            product_id=103,
            status="confirmed",
        ),
    )


@pytest.mark.usefixtures("varied")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (BookingFilter(), [4, 3, 1, 2]),
        (BookingFilter(booked_from=date(2026, 11, 24)), [4, 3, 1]),
        (BookingFilter(booked_to=date(2026, 11, 23)), [2]),
        (BookingFilter(booked_from=date(2026, 11, 24), booked_to=date(2026, 11, 24)), [1]),
        (BookingFilter(event_from=date(2027, 1, 1)), [3]),
        (BookingFilter(event_to=date(2026, 12, 31)), [1, 2]),
        (BookingFilter(product_ids=(102,)), [2]),
        (BookingFilter(product_ids=(101, 102)), [3, 1, 2]),
        (BookingFilter(statuses=("confirmed",)), [4, 2]),
        (BookingFilter(statuses=("cancelled", "new")), [3, 1]),
        (BookingFilter(text="  jürgen  "), [3]),
        (BookingFilter(text="WEISS"), []),
        (BookingFilter(text="weiß jürgen"), [3]),  # every word, in any order
        (BookingFilter(text="10005002"), [2]),  # order number
        (
            BookingFilter(
                booked_from=date(2026, 11, 24), product_ids=(101,), statuses=("new", "cancelled")
            ),
            [3, 1],
        ),
        (BookingFilter(booked_from=date(2026, 11, 24), statuses=("confirmed",), text="anna"), [4]),
        (BookingFilter(booked_from=date(1, 1, 1), booked_to=date(9999, 12, 31)), [4, 3, 1, 2]),
    ],
)
def test_filters_alone_and_combined(
    db: Databases, filters: BookingFilter, expected: list[int]
) -> None:
    page = list_bookings(ALPHA, db, filters=filters)
    assert items(page) == expected
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("'", [1]),
        ('"', [2]),
        ("%", [3]),
        ("_", [4]),
        ("\\", [5]),
        ("/", [6]),
        ("JÜRGEN", [7]),
        ("jürgen", [7]),
        ("ÄRGER", [8]),
        ("o'b", [1]),
        ("100%", [3]),
        ("a_b", [4]),
    ],
)
def test_free_text_matches_special_characters_literally(
    db: Databases, needle: str, expected: list[int]
) -> None:
    names = ["O'Brien", 'Der "Koch"', "100% Genuss", "a_b", "Back\\Slash", "Schräg/Strich"]
    names += ["Jürgen Groß", "Ärger Öl"]
    put(
        db,
        *(
            booking(i, customer_name=name, customer_email=f"k{i}@example.org")
            for i, name in enumerate(names, start=1)
        ),
        booking(9, customer_name="abc Plain", customer_email="plain@example.org"),
    )
    assert sorted(items(list_bookings(ALPHA, db, filters=BookingFilter(text=needle)))) == expected


def test_too_long_free_text_is_refused(db: Databases) -> None:
    with pytest.raises(InvalidInput) as exc:
        list_bookings(ALPHA, db, filters=BookingFilter(text="x" * 101))
    assert (exc.value.key, exc.value.params) == ("validation.search_too_long", {"n": 100})
    assert list_bookings(ALPHA, db, filters=BookingFilter(text="x" * 100)).total == 0


def test_money_is_decimal_cents(db: Databases) -> None:
    put(db, booking(1, gross="1234.5678", refunded="10.005"))
    row = list_bookings(ALPHA, db).rows.iloc[0]
    assert row["gross"] == Decimal("1234.57") and isinstance(row["gross"], Decimal)
    assert row["refunded"] == Decimal("10.01") and isinstance(row["refunded"], Decimal)


# --- tenant safety -----------------------------------------------------------------------------


@pytest.fixture
def two_partners(db: Databases) -> None:
    put(
        db,
        booking(1, partner_id=1, order_id=7001, gross="50.00", course="Alpha Pasta"),
        # One order, one item of each partner.
        booking(2, partner_id=1, order_id=7003, increment_id="100007003", gross="40.00"),
        booking(
            3,
            partner_id=2,
            order_id=7003,
            increment_id="100007003",
            product_id=201,
            gross="777.77",
            course="Beta Rotweinseminar",
            customer_email="zora.beta@example.org",
        ),
        booking(4, partner_id=2, order_id=7004, product_id=201, gross="10.00"),
    )


@pytest.mark.usefixtures("two_partners")
def test_a_partner_sees_only_its_own_items_of_a_shared_order(db: Databases) -> None:
    page = list_bookings(ALPHA, db)
    assert sorted(items(page)) == [1, 2]
    assert set(page.rows["partner_id"]) == {1}
    assert Decimal("777.77") not in set(page.rows["gross"])
    shared = list_bookings(ALPHA, db, filters=BookingFilter(text="100007003"))
    assert items(shared) == [2]
    assert items(list_bookings(BETA, db, filters=BookingFilter(text="100007003"))) == [3]


@pytest.mark.usefixtures("two_partners")
def test_partner_ids_cannot_widen_a_partners_scope(db: Databases) -> None:
    sneaky = BookingFilter(partner_ids=(2,))
    assert sorted(items(list_bookings(ALPHA, db, filters=sneaky))) == [1, 2]
    assert sorted(items(list_bookings(ALPHA, db, filters=BookingFilter(product_ids=(201,))))) == []
    out = io.BytesIO()
    assert b.export_csv(ALPHA, db, filters=sneaky, out=out) == 2
    text = out.getvalue().decode("utf-8-sig")
    assert "777,77" not in text and "Beta" not in text and "zora" not in text


@pytest.mark.usefixtures("two_partners")
def test_staff_see_all_filter_by_partner_and_view_as(db: Databases) -> None:
    assert sorted(items(list_bookings(STAFF, db))) == [1, 2, 3, 4]
    only_b = BookingFilter(partner_ids=(2,))
    assert sorted(items(list_bookings(STAFF, db, filters=only_b))) == [3, 4]
    both = BookingFilter(partner_ids=(1, 2))
    assert list_bookings(STAFF, db, filters=both).total == 4
    as_alpha = STAFF.view_as(1)
    assert sorted(items(list_bookings(as_alpha, db))) == [1, 2]
    assert sorted(items(list_bookings(as_alpha, db, filters=only_b))) == [1, 2]


# --- query string ------------------------------------------------------------------------------


def test_parse_params_reads_every_key() -> None:
    parsed = parse_params(
        {
            "gebucht_von": "2026-11-01",
            "gebucht_bis": "30.11.2026",
            "termin_von": "1.12.2026",
            "termin_bis": ["2026-12-01", "2026-12-31"],  # repeated single key: the last wins
            "kurs": ["103", "101,102", "101"],
            "status": "Confirmed,new",
            "suche": "  Jürgen   Müller ",
            "partner": "2",
            "sortierung": "event_asc",
            "seite": "3",
            "pro_seite": "100",
            "unbekannt": "x",
        }
    )
    assert parsed.errors == []
    assert parsed.filters == BookingFilter(
        booked_from=date(2026, 11, 1),
        booked_to=date(2026, 11, 30),
        event_from=date(2026, 12, 1),
        event_to=date(2026, 12, 31),
        product_ids=(101, 102, 103),
        statuses=("new", "confirmed"),
        text="Jürgen Müller",
        partner_ids=(2,),
    )
    assert (parsed.sort, parsed.page, parsed.page_size) == ("event_asc", 3, 100)


def test_parse_params_of_nothing_is_the_default_view() -> None:
    parsed = parse_params({})
    assert (parsed.filters, parsed.sort, parsed.page, parsed.page_size, parsed.errors) == (
        BookingFilter(),
        "booked_desc",
        1,
        50,
        [],
    )


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"gebucht_von": "30.02.2026"}, "validation.date"),
        ({"gebucht_bis": "2026-13-01"}, "validation.date"),
        ({"termin_von": "morgen"}, "validation.date"),
        ({"termin_von": "20261124"}, "validation.date"),
        ({"termin_von": "０１.１２.２０２６"}, "validation.date"),  # full-width digits
        ({"termin_bis": "01.01.0001"}, "validation.date"),
        ({"gebucht_von": "2026-11-30", "gebucht_bis": "2026-11-01"}, "validation.date_range"),
        ({"termin_von": "02.12.2026", "termin_bis": "01.12.2026"}, "validation.date_range"),
        ({"seite": "abc"}, "validation.page"),
        ({"seite": "0"}, "validation.page"),
        ({"seite": "-2"}, "validation.page"),
        ({"seite": str(10**30)}, "validation.page"),
        ({"seite": "1e3"}, "validation.page"),
        ({"seite": "٣"}, "validation.page"),  # an Arabic-Indic three
        ({"pro_seite": "1000"}, "validation.page_size"),
        ({"sortierung": "preis"}, "validation.sort"),
        ({"status": "bezahlt"}, "validation.status"),
        ({"kurs": "abc"}, "validation.course"),
        ({"kurs": str(2**31)}, "validation.course"),
        ({"kurs": ",".join(str(i) for i in range(1, 102))}, "validation.too_many_values"),
        ({"partner": "-1"}, "validation.partner"),
        ({"suche": "x" * 101}, "validation.search_too_long"),
    ],
)
def test_bad_params_report_a_key_and_fall_back_to_the_default(
    params: dict[str, str], key: str
) -> None:
    parsed = parse_params(params)
    assert [e.key for e in parsed.errors] == [key]
    assert all(isinstance(e, InvalidInput) for e in parsed.errors)
    assert (parsed.filters, parsed.sort, parsed.page, parsed.page_size) == (
        BookingFilter(),
        "booked_desc",
        1,
        50,
    )


def test_bad_values_in_a_list_are_left_out_and_the_good_kept() -> None:
    parsed = parse_params({"status": "new,bezahlt", "kurs": ["12", "zwölf"], "seite": "x"})
    keys = [e.key for e in parsed.errors]
    assert keys == ["validation.course", "validation.status", "validation.page"]
    assert parsed.filters == BookingFilter(product_ids=(12,), statuses=("new",))
    assert parsed.errors[0].params == {"value": "zwölf"}


def test_error_keys_exist_in_both_languages() -> None:
    from core import i18n

    for key in (
        "validation.date",
        "validation.date_range",
        "validation.page",
        "validation.page_size",
        "validation.sort",
        "validation.status",
        "validation.course",
        "validation.partner",
        "validation.too_many_values",
        "validation.search_too_long",
        "validation.too_many_rows",
    ):
        assert key in i18n.catalog("de") and key in i18n.catalog("en"), key
    error = parse_params({"gebucht_von": "30.02.2026"}).errors[0]
    assert i18n.translate(error.key, "de", **error.params).startswith("„30.02.2026“ ist kein")


def _random_view(rng: random.Random) -> tuple[BookingFilter, str, int, int]:
    def day() -> date:
        return date(2024, 1, 1) + timedelta(days=rng.randrange(1500))

    def pair() -> tuple[date | None, date | None]:
        first, last = sorted((day(), day()))
        return rng.choice([(None, None), (first, None), (None, last), (first, last)])

    alphabet = "abcxyzäöüÄÖÜß0123456789 ,;%_'\"\\/&?=#+-@."
    booked, events = pair(), pair()
    filters = BookingFilter(
        booked_from=booked[0],
        booked_to=booked[1],
        event_from=events[0],
        event_to=events[1],
        product_ids=tuple(rng.randrange(1, 10**6) for _ in range(rng.randrange(4))),
        statuses=tuple(rng.sample(BOOKING_STATUSES, rng.randrange(len(BOOKING_STATUSES) + 1))),
        text="".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 100))),
        partner_ids=tuple(rng.randrange(1, 500) for _ in range(rng.randrange(3))),
    )
    return filters, rng.choice(b.SORTS), rng.randrange(1, 10**6), rng.choice(b.PAGE_SIZES)


def test_to_params_and_parse_params_round_trip() -> None:
    rng = random.Random(2026)
    for _ in range(500):
        filters, sort, page, page_size = _random_view(rng)
        params = to_params(filters, sort, page, page_size)
        parsed = parse_params(params)
        assert parsed.errors == [], params
        assert (parsed.filters, parsed.sort, parsed.page, parsed.page_size) == (
            filters,
            sort,
            page,
            page_size,
        )


def test_to_params_leaves_defaults_out() -> None:
    assert to_params(BookingFilter(), "booked_desc", 1, 50) == {}
    assert to_params(BookingFilter(statuses=("confirmed", "new"), product_ids=(3, 1))) == {
        "kurs": "1,3",
        "status": "new,confirmed",
    }


# --- exports -----------------------------------------------------------------------------------


def _csv(out: io.BytesIO) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def export_rows(db: Databases) -> None:
    put(
        db,
        booking(
            1,
            booked_at=datetime(2026, 11, 24, 17, 30),  # 18:30 in Berlin
            event_at=datetime(2026, 7, 15, 16, 0),  # 18:00 in Berlin (summer time)
            customer_name='=HYPERLINK("http://evil.example";"Klick")',
            customer_email="+1@example.org",
            course="-2 Pasta",
            gross="1234.56",
            tickets=3,
            status="confirmed",
        ),
        booking(
            2,
            booked_at=datetime(2026, 11, 24, 10, 0),
            event_at=None,
            customer_name="Jürgen Weiß",
            customer_email="@x",
            course="Käse & Wein",
            gross="89.90",
            refunded="100.00",
            status="refunded",
        ),
    )


@pytest.mark.usefixtures("export_rows")
def test_csv_export_for_german_excel(db: Databases) -> None:
    out = io.BytesIO()
    assert b.export_csv(ALPHA, db, out=out) == 2
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = _csv(out)
    assert lines[0] == [
        "Bestellnummer",
        "Gebucht am",
        "Kunde",
        "E-Mail",
        "Kurs",
        "Termin",
        "Tickets",
        "Betrag",
        "Status",
    ]
    assert lines[1] == [
        "10005001",
        "24.11.2026 18:30",
        '\'=HYPERLINK("http://evil.example";"Klick")',
        "'+1@example.org",
        "'-2 Pasta",
        "15.07.2026 18:00",
        "3",
        "1.234,56",
        "Bestätigt",
    ]
    # Refunds are subtracted but never below zero; no course date is an empty cell.
    assert lines[2] == [
        "10005002",
        "24.11.2026 11:00",
        "Jürgen Weiß",
        "'@x",
        "Käse & Wein",
        "",
        "2",
        "0,00",
        "Erstattet",
    ]
    assert raw.count(b"\r\n") == 3


@pytest.mark.usefixtures("export_rows")
def test_csv_export_in_english_and_filtered(db: Databases) -> None:
    out = io.BytesIO()
    filters = BookingFilter(statuses=("confirmed",))
    assert b.export_csv(ALPHA, db, out=out, filters=filters, locale="en") == 1
    lines = _csv(out)
    assert lines[0][0] == "Order number"
    assert lines[1][1] == "24/11/2026 18:30"
    assert lines[1][7:] == ["1,234.56", "Confirmed"]


@pytest.mark.usefixtures("export_rows")
def test_xlsx_export_reads_back_with_typed_cells(db: Databases) -> None:
    out = io.BytesIO()
    assert b.export_xlsx(ALPHA, db, out=out, sort="booked_asc") == 2
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["Bestellungen"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[0][0] == "Bestellnummer" and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I3"
    jurgen, evil = rows[1], rows[2]
    assert jurgen[1] == datetime(2026, 11, 24, 11, 0)  # a real date cell, Berlin time
    assert jurgen[5] is None
    assert jurgen[2:5] == ("Jürgen Weiß", "@x", "Käse & Wein")
    assert sheet["B2"].is_date and sheet["B2"].number_format == "dd.mm.yyyy hh:mm"
    assert evil[2] == '=HYPERLINK("http://evil.example";"Klick")'
    assert sheet["C3"].data_type == "s" and sheet["C3"].quotePrefix  # text, never a formula
    assert sheet["D2"].quotePrefix and not sheet["E2"].quotePrefix
    assert evil[5] == datetime(2026, 7, 15, 18, 0)
    assert (evil[6], evil[7], evil[8]) == (3, 1234.56, "Bestätigt")
    assert sheet["H3"].number_format == "#,##0.00"


@pytest.mark.usefixtures("export_rows")
def test_xlsx_refuses_more_rows_than_a_sheet_holds(
    db: Databases, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setattr("core.table_export.XLSX_MAX_ROWS", 1)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    out = io.BytesIO()
    with pytest.raises(InvalidInput) as exc:
        b.export_xlsx(ALPHA, db, out=out)
    assert exc.value.key == "validation.too_many_rows"
    assert out.getvalue() == b""
    assert list(tmp_path.iterdir()) == []  # the temp file of the unfinished sheet is gone


def test_exports_of_nothing_have_a_header_only(db: Databases) -> None:
    out = io.BytesIO()
    assert b.export_csv(ALPHA, db, out=out) == 0
    assert len(_csv(out)) == 1
    out = io.BytesIO()
    assert b.export_xlsx(ALPHA, db, out=out) == 0
    assert load_workbook(out).active.max_row == 1


def test_export_reads_keyset_chunks_not_offsets(db: Databases) -> None:
    put(db, *(booking(i, booked_at=T0 + timedelta(minutes=i // 3)) for i in range(1, 26)))
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(db.portal, "before_cursor_execute", record)
    try:
        assert b.export_csv(ALPHA, db, out=io.BytesIO(), chunk_size=10) == 25
    finally:
        event.remove(db.portal, "before_cursor_execute", record)
    reads = [(s, p) for s, p in statements if "miomente_bookings" in s]
    assert len(reads) == 3
    # SQLite always renders "LIMIT ? OFFSET ?"; the offset bound is then 0.
    assert all("OFFSET" not in s.upper() or p[-1] == 0 for s, p in reads)


def test_staff_all_partner_count_stops_at_the_cap(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(b, "STAFF_COUNT_CAP", 3)
    put(databases, *(booking(i) for i in range(1, 8)))
    staff_page = list_bookings(STAFF, databases, page_size=25)
    assert (staff_page.total, staff_page.more, staff_page.pages) == (3, True, 1)
    assert len(staff_page.rows) == 3
    partner_page = list_bookings(ALPHA, databases, page_size=25)
    assert partner_page.more is False and partner_page.total == 7  # partners count exactly
