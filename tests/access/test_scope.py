"""Tenant safety: no data function lets one partner see another partner's rows or money.

Every public function in `data/` whose first parameter is `viewer` is discovered and called
for partner A in two worlds: one with partner B (who shares order 1003 with A) and one
without B. The results must be identical, so no row, count or amount of B reaches A; the
same holds the other way round, and for staff viewing the portal as A. A new data function
is covered without editing this file; a public data function without a viewer must be
listed in UNSCOPED with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import data
from core.db import Databases
from core.recurrence import Pattern
from core.validation import InvalidInput
from data.access.viewer import ScopeError, Viewer
from data.comms.sms_reminders import SmsSettings
from data.demand.date_requests import RequestRules
from data.news.announcements import Draft
from data.reviews.requests import RequestSettings
from tests.conftest import fresh_databases
from tests.support.demand import add_date_requests
from tests.support.minimums import add_minimums
from tests.support.review_requests import add_review_requests
from tests.support.worlds import B, build_world

NOW = datetime(2026, 11, 25, 12, 0)
_WEEKLY = Pattern(
    kind="weekly",
    starts_on=date(2026, 12, 7),
    start_time=time(10, 0),
    duration_minutes=120,
    weekdays=("MO",),
    count=3,
)
# Modules of data/ that hold no viewer-facing functions at all.
NOT_QUERIES = {"data.demo", "data.shop.schema", "data.portal_schema", "data.access.viewer"}
# Public functions that by nature run without a viewer.
UNSCOPED = {
    "data.access.users.authenticate": "login happens before there is a viewer",
    "data.access.users.load_user": "re-authentication from the cookie, before there is a viewer",
    "data.access.users.hash_password": "pure function",
    "data.access.users.check_new_password": "pure function",
    "data.access.sessions.new_token": "pure function",
    "data.access.sessions.is_token": "pure function",
    "data.access.resets.reset_link_valid": "before the login: the link's token is the credential",
    "data.access.resets.reset_password": "before the login: the link's token is the credential",
    "data.access.sessions.start_session": "right after the password check, before a viewer",
    "data.access.sessions.resume_session": "the cookie's session id is the credential",
    "data.access.sessions.end_session": "logout: the session id is the credential",
    "data.access.sessions.revoke_sessions": "in the caller's transaction; the caller is scoped",
    "data.access.scope.product_filter": "builds the filter from ids the caller scoped",
    "data.access.scope.partner_filter": "builds the filter from the viewer it is given",
    "data.shop.catalog.product_names": "a subquery joined into scoped queries",
    "data.bookings.listing.parse_params": "pure: query string -> filters",
    "data.bookings.listing.to_params": "pure: filters -> query string",
    "data.bookings.ledger.partner_status": "pure: order state + decision -> booking status",
    "data.shop.writes.shop_transaction": "the caller's Magento transaction; the caller is scoped",
    "data.shop.writes.lock_order": "inside the caller's transaction; the caller is scoped",
    "data.shop.writes.change_order_status": "inside the caller's transaction; the caller is scoped",
    "data.shop.writes.add_order_comment": "inside the caller's transaction; the caller is scoped",
    "data.shop.writes.insert_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop.writes.insert_course_date": "inside the caller's transaction; caller is scoped",
    "data.shop.writes.lock_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop.writes.update_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop.writes.cancel_course_dates": "inside the caller's transaction; caller is scoped",
    "data.comms.outbox.queue_message": "runs inside the caller's transaction; the caller is scoped",
    "data.comms.outbox.queue_many": "runs inside the caller's transaction; the caller is scoped",
    "data.comms.member_digest.collect": "inside the caller's transaction; the caller is scoped",
    "data.comms.member_digest.item_rows": "pure: scoped recipients -> digest item rows",
    "data.comms.member_digest.split": "pure: splits recipients the caller scoped",
    "data.ops.audit.record": "inside the caller's transaction; the caller is scoped",
    "data.ops.submissions.once": "a form's token; the record's own function is scoped",
    "data.ops.submissions.claim": "a form's token; the record's own function is scoped",
    "data.ops.submissions.release": "a form's token; the record's own function is scoped",
    "data.ops.audit.record_many": "inside the caller's transaction; the caller is scoped",
    "data.bookings.orders.item_query": "a query the caller filters by the products it scoped",
    "data.bookings.orders.status_labels": "the shop's status labels, the same for everyone",
    "data.bookings.orders.item_decisions": "decisions of item ids the caller already scoped",
    "data.money.rules.counts_as_revenue": "pure: booking status -> counts or not",
    "data.money.rules.revenue_amount": "pure: status and amounts -> revenue",
    "data.money.rules.revenue_filter": "builds a WHERE clause the caller scopes",
    "data.money.rules.revenue_amount_sql": "builds an expression the caller scopes",
    "data.money.rules.payable_amount": "pure: status, order state and amounts -> payable",
    "data.money.rules.payable_filter": "builds a WHERE clause the caller scopes",
    "data.money.rules.payable_amount_sql": "builds an expression the caller scopes",
    "data.money.payouts.berlin_day": "pure: UTC moment -> Berlin date",
    "data.money.payouts.last_month": "pure: today -> first day of last month",
    "data.dates.course_dates.truncated": "pure: a list_dates frame -> whether it was cut",
    "data.money.documents.format_number": "pure: year and sequence -> GS-YYYY-NNNNN",
    "data.money.documents.reference": "pure: period and partner name -> transfer reference",
    "data.money.documents.build_note": "inside the caller's transaction; the caller is scoped",
    "data.money.revenue.change": "pure: two figures -> absolute and relative change",
    "data.money.rollup.is_empty": "whether the shared roll-ups were ever filled; returns no data",
    "data.money.rollup.berlin_month": "pure: timestamp -> Berlin month",
    "data.money.rollup.keys_of": "pure: ledger rows -> roll-up keys",
    "data.money.rollup.ledger_keys": "inside the ledger's write transaction (system scope)",
    "data.money.rollup.kept_current": "inside the ledger's write transaction (system scope)",
    "data.money.rollup.refresh_rollups": "inside the ledger's write transaction (system scope)",
    "data.money.rollup.rebuild_rollups": "maintenance in the caller's transaction: migration",
    "data.integrations.widget_keys.widget_partner": "the public widget key names the partner",
    "data.dates.ical_feed.feed_partner": "the secret feed token in the request is the credential",
    "data.integrations.rate_limits.take": "counters of hashed IPs/emails, nobody's data; checked "
    "before the scoped sign-up",
    "data.integrations.rate_limits.bucket": "pure: kind and who -> hashed bucket name",
    "data.access.permissions.requires": "pure: the decorator that checks the viewer's permissions",
    "data.access.permissions.permissions_of": "pure: a decorated function -> its permissions",
    "data.integrations.rate_limits.take_counted": "a partner-API key's counter (hashed key id), "
    "checked before the scoped data functions",
    "data.integrations.api_keys.key_viewer": "the API key is the credential that makes a viewer",
    "data.integrations.api_idempotency.claim": "the checked API key's own replay store",
    "data.integrations.api_idempotency.finish": "the checked API key's own replay store",
    "data.integrations.api_idempotency.release": "the checked API key's own replay store",
    "data.integrations.api_idempotency.fingerprint": "pure: request parts -> hash",
    "data.demand.waitlist.unsubscribe_token": "pure: signs an entry id",
    "data.demand.waitlist.unsubscribe": "a customer's link: the signed token is the credential",
    "data.demand.date_requests.accept_proposal": "the customer's link: its token is the credential",
    "data.comms.sms_reminders.reminder_state": "pure: start, lead and now -> when to send",
    "data.demand.date_requests.proposal_of": "the customer's link: its token is the credential",
    "data.access.totp.is_enabled": "the login's second step, after the password, before a viewer",
    "data.access.totp.login_step": "the login's second step, after the password, before a viewer",
    "data.integrations.webhooks.emit_event": "inside the cause's transaction; the cause is scoped",
    "data.integrations.webhooks.emit_events": "inside the cause's transaction; cause is scoped",
    "data.integrations.webhooks.emit_decisions": "inside the decision's transaction (scoped)",
    "data.integrations.webhooks.emit_ledger": "inside the ledger's transaction (system scope)",
    "data.integrations.webhooks.emit_dates": "inside the date change's transaction (scoped)",
    "data.integrations.webhooks.emit_series_dates": "the series job's batch (scoped by it)",
    "data.integrations.webhooks.booking_data": "pure: a booking row -> event payload",
    "data.integrations.webhooks.date_data": "pure: a date row -> event payload",
    "data.reviews.requests.due_at": "pure: a moment and days -> when the mail goes",
    "data.reviews.requests.email_hash": "pure: an address -> its hash",
    "data.reviews.requests.review_token": "pure: signs a booked item's id",
    "data.reviews.requests.review_form": "the customer's link: its token is the credential",
    "data.reviews.requests.submit_review": "the customer's link: its token is the credential",
    "data.reviews.requests.object_to_requests": "the customer's link: the token is the credential",
    "data.shop.writes.active_ratings": "the shop's rating list, the same for everyone",
    "data.shop.writes.insert_review": "inside the caller's transaction; the caller is scoped",
    "data.reviews.flags.check_answer": "pure: an answer's text and names -> hint codes",
    "data.access.team.invitation_of": "before the join: the invitation link's token is the key",
    "data.access.team.accept_invitation": "before the join: the link's token is the key",
    "data.access.permissions.role_permissions": "pure: member role -> permissions",
    "data.comms.notifications.held_until": "pure: now and a member's hours -> when to send",
}
# Arguments for viewer functions that need more than (viewer, db).
SAMPLE_KWARGS: dict[str, dict[str, object]] = {
    "data.access.users.set_locale": {"locale": "de"},
    "data.access.users.account_list": {"partner_id": 1},
    "data.access.resets.send_reset_link": {"user_id": 10, "now": NOW},
    "data.access.users.change_password": {"current": "falsch", "new": "x", "repeated": "x"},
    "data.comms.outbox.mark_sent": {"results": [(1, "x"), (2, "y")]},
    "data.comms.outbox.mark_failed": {"message_id": 2, "error": "x", "retry_at": None},
    "data.comms.outbox.get_message": {"message_id": 2},
    "data.comms.outbox.resend": {"message_id": 2},
    "data.comms.outbox.release": {"message_ids": [1, 2], "retry_at": NOW, "reason": "x"},
    "data.comms.notifications.recipients": {"event": "new_booking"},
    "data.dates.course_dates.future_dates": {"product_id": 101},
    # The booking widget: A's course in A's scope, refused for B (another partner's course id).
    "data.integrations.widget.widget_dates": {"product_ids": [101]},
    "data.integrations.widget_keys.widget_key": {"now": NOW},
    "data.integrations.widget_keys.set_widget_enabled": {"enabled": True, "now": NOW},
    "data.integrations.widget_traffic.count_widget_event": {"event": "view", "now": NOW},
    "data.integrations.widget_traffic.widget_traffic_per_day": {"now": NOW},
    "data.bookings.orders.get_order": {"order_id": 1003},
    # Partner-API keys: made in each world (random secrets, normalised below), then revoked.
    "data.integrations.api_keys.create_key": {
        "name": "Sync",
        "scopes": ["orders:read"],
        "now": NOW,
    },
    "data.integrations.api_keys.revoke_key": {"prefix": "mio_live_00000000", "now": NOW},
    "data.bookings.decisions.decide": {"item_ids": [5003], "decision": "confirmed", "now": NOW},
    "data.bookings.ledger.refresh_orders": {"order_ids": [1003], "now": NOW},
    "data.bookings.ledger.ensure_fresh": {"max_age_seconds": 0},
    "data.bookings.listing.export_csv": {"out": io.BytesIO()},
    "data.bookings.listing.export_xlsx": {"out": io.BytesIO()},
    "data.ops.job_runs.start_run": {"task": "send-outbox", "now": NOW},
    "data.ops.job_runs.finish_run": {"run_id": 1, "status": "ok", "now": NOW},
    "data.ops.job_runs.close_interrupted": {"task": "send-outbox", "before_run_id": 1, "now": NOW},
    "data.money.commission.set_course_rate": {
        "product_id": 201,
        "rate": "30",
        "valid_from": NOW.date(),
    },
    "data.money.commission.contract_rate": {"partner_id": 1},
    "data.money.commission.set_contract_rate": {"partner_id": 2, "rate": "22", "now": NOW},
    "data.money.payouts.compute_payouts": {"period": NOW.date(), "now": NOW},
    "data.money.settlement.settlement_start": {"partner_id": 1},
    "data.money.settlement.set_settlement_start": {
        "partner_id": 2,
        "start": NOW.date(),
        "now": NOW,
    },
    "data.money.payouts.is_settled": {"period": NOW.date()},
    "data.money.payouts.approve_payouts": {"payout_ids": [1, 2], "now": NOW},
    "data.money.payouts.mark_paid": {"payout_ids": [1, 2], "paid_on": NOW.date(), "now": NOW},
    "data.money.payouts.get_payout": {"payout_id": 1},
    "data.money.payouts.list_lines": {"payout_id": 1},
    "data.money.payouts.find_payouts": {"text": "a"},
    "data.access.partners.search_partners": {"text": "e"},
    "data.dates.ical_feed.renew_feed": {"now": NOW},
    "data.dates.ical_feed.feed_dates": {"now": NOW},
    "data.access.partners.search_choosable": {"text": "e"},
    "data.access.partners.choosable_names": {"partner_ids": [1, 2]},
    "data.money.documents.issue_for_payout": {"payout_id": 1, "now": NOW},
    "data.money.documents.reissue_document": {"document_id": 1, "now": NOW},
    "data.money.documents.document_pdf": {"document_id": 1},
    "data.money.documents.credit_notes_for_export": {"payout_ids": [1, 2]},
    "data.money.documents.sepa_export": {"payout_ids": [1, 2], "execution_date": NOW.date()},
    "data.money.documents.datev_export": {"payout_ids": [1, 2], "now": NOW},
    "data.comms.notifications.save_prefs": {
        "prefs": [{"event": "payout", "emails": "buchhaltung@example.org", "phone": ""}]
    },
    # Termine: reads on the world's dates; writes aimed at ids that are nobody's (refused for
    # every viewer) or idempotent (seats unchanged, cancel without confirmation of a booked date).
    "data.dates.course_dates.get_date": {"date_id": 13},
    "data.dates.course_dates.dates_per_day": {
        "start": datetime(2000, 1, 1),
        "end": datetime(2100, 1, 1),
    },
    "data.dates.course_dates.date_bookings": {"date_id": 11},
    "data.dates.course_dates.overlapping": {
        "product_id": 101,
        "ranges": [(datetime(2000, 1, 1), datetime(2100, 1, 1))],
    },
    "data.dates.course_dates.create_date": {
        "product_id": 999,
        "starts_at": datetime(2030, 1, 8, 18),
        "ends_at": datetime(2030, 1, 8, 21),
        "seats": 10,
        "price": "50",
    },
    "data.dates.course_dates.update_date": {"date_id": 13, "seats": 12},
    "data.dates.course_dates.cancel_date": {"date_id": 11},
    "data.dates.series.preview_series": {
        "product_id": 101,
        "pattern": _WEEKLY,
        "seats": 10,
        "price": "50",
        "now": NOW,
    },
    "data.dates.series.create_series": {
        "product_id": 999,
        "pattern": _WEEKLY,
        "seats": 10,
        "price": "50",
        "now": NOW,
    },
    "data.dates.series.generate_series": {"now": NOW},
    "data.dates.series.pending_series": {"now": NOW},
    "data.dates.series.get_series": {"series_id": 999},
    "data.dates.series.bulk_edit": {"series_id": 999, "seats": 5, "now": NOW},
    "data.dates.series.split_series": {
        "series_id": 999,
        "from_day": date(2026, 12, 14),
        "now": NOW,
    },
    "data.dates.series.cancel_series": {"series_id": 999, "now": NOW},
    "data.dates.series.skip_occurrence": {"series_id": 999, "day": date(2026, 12, 7), "now": NOW},
    # Warteliste: an entry on A's course (B is refused alike in both worlds), the job's steps
    # and settings at the fixed clock.
    "data.demand.waitlist.add_entry": {
        "product_id": 101,
        "customer_name": "Neu Kunde",
        "email": "neu.kunde@example.org",
        "seats": 2,
        "consent": True,
        "now": NOW,
    },
    "data.demand.waitlist.notify_waiting": {"now": NOW},
    "data.demand.waitlist.mark_conversions": {"now": NOW},
    "data.demand.waitlist.expire_entries": {"now": NOW},
    "data.demand.waitlist.save_settings": {
        "mode": "queue",
        "wait_hours": 12,
        "expiry_months": 6,
        "now": NOW,
    },
    "data.dates.series.move_occurrence": {
        "series_id": 999,
        "day": date(2026, 12, 7),
        "new_start": datetime(2026, 12, 8, 10),
        "now": NOW,
    },
}

# Called like the others, but their result is a fingerprint of the world's build times (two
# worlds built a second apart differ); tests/integrations/test_widget.py shows that B's
# changes never move A's fingerprint.
BUILD_DEPENDENT = {"data.integrations.widget.widget_version"}
# A fresh random TOTP secret on every call (of the viewer's own account).
BUILD_DEPENDENT |= {"data.access.totp.start_enrollment"}
# Terminanfragen: reads over the world's requests (tests/support/demand.py); answers aimed at
# one request of each partner together (refused for every viewer: one is never in scope).
_BOTH_REQUESTS = [1, 11]
SAMPLE_KWARGS |= {
    "data.demand.date_requests.list_requests": {"now": NOW},
    "data.demand.demand.course_demand": {"now": NOW},
    "data.demand.date_requests.open_groups": {"now": NOW},
    "data.demand.date_requests.get_rules": {},
    "data.demand.date_requests.save_rules": {"rules": RequestRules(), "now": NOW},
    "data.demand.date_requests.create_request": {
        "product_id": 999,
        "day": date(2026, 12, 19),
        "start": time(18, 0),
        "name": "Kundin",
        "email": "kundin@example.org",
        "participants": 2,
        "now": NOW,
    },
    "data.demand.date_requests.accept_requests": {
        "request_ids": _BOTH_REQUESTS,
        "date_id": 13,
        "now": NOW,
    },
    "data.demand.date_requests.propose_date": {
        "request_ids": _BOTH_REQUESTS,
        "date_id": 13,
        "now": NOW,
    },
    "data.demand.date_requests.reject_requests": {
        "request_ids": _BOTH_REQUESTS,
        "reason": "Ausgebucht",
        "now": NOW,
    },
    "data.demand.date_requests.expire_overdue": {"now": NOW},
}
# Neuigkeiten: the world has one announcement for B only (id 1) and one for all (id 2).
SAMPLE_KWARGS |= {
    "data.news.announcements.feed": {"now": NOW},
    "data.news.announcements.unread_count": {"now": NOW},
    "data.news.announcements.mark_read": {"announcement_ids": [1, 2], "now": NOW},
    "data.news.announcements.save_announcement": {
        "draft": Draft("Neu", "Text", "news", NOW),
        "now": NOW,
    },
    "data.news.announcements.withdraw_announcement": {"announcement_id": 999, "now": NOW},
    "data.news.announcements.save_digest_choice": {"weekly": True, "now": NOW},
    "data.news.announcements.queue_digests": {"now": NOW},
    "data.comms.member_digest.queue_digests": {"now": NOW},
    "data.comms.sms_reminders.save_sms_settings": {
        "settings": SmsSettings(True, False),
        "now": NOW,
    },
    "data.comms.sms_reminders.record_objection": {"phone": "0151 23456789", "now": NOW},
    "data.comms.sms_reminders.queue_due_reminders": {"now": NOW},
}

# The team: role changes and removals aimed at B's login (refused for A: not A's member; B
# may not change itself). The invitation aims at an address refused for every viewer: a queued
# mail would take a different outbox id in each world; tests/access/test_team.py shows that
# invitations and members stay within their partner.
SAMPLE_KWARGS |= {
    "data.access.team.open_invitations": {"now": NOW},
    "data.access.team.invite_member": {
        "email": "keine-adresse",
        "member_role": "team",
        "now": NOW,
    },
    "data.access.team.change_role": {"user_id": 20, "member_role": "accounting", "now": NOW},
    "data.access.team.remove_member": {"user_id": 20, "now": NOW},
    "data.access.team.save_my_prefs": {
        "events": [{"event": "payout", "email_enabled": True, "sms_enabled": False}],
        "now": NOW,
    },
}

# Marketing (keyword ideas, price position): A's course; B is refused alike in both worlds.
SAMPLE_KWARGS |= {
    "data.marketing.keywords.keyword_ideas": {"product_id": 101},
    "data.marketing.prices.price_position": {"product_id": 101, "now": NOW},
}
# Qualitäts-Score: A's course 101 (B's 201 refused alike in both worlds), the whole scope.
SAMPLE_KWARGS |= {
    "data.marketing.scores.course_content": {"product_ids": [101], "now": NOW},
    "data.marketing.scores.score_courses": {"now": NOW},
    "data.marketing.scores.rescore_course": {"product_id": 101, "now": NOW},
    "data.marketing.scores.score_history": {"product_ids": [101, 201]},
    "data.marketing.scores.score_overview": {"page_size": 10},
}
# Mindestteilnehmerzahl: reads over both partners' dates (tests/support/minimums.py); the
# answer aims at a date that is nobody's; the job is the system's (refused for a partner).
SAMPLE_KWARGS |= {
    "data.dates.minimums.date_minimums": {"date_ids": [11, 12, 13, 21, 22]},
    "data.dates.minimums.open_questions": {"now": NOW},
    "data.dates.minimums.answer_question": {"date_id": 999, "hold": True, "now": NOW},
    "data.dates.minimums.save_settings": {"check_days": 4, "answer_hours": 12, "now": NOW},
    "data.dates.minimums.check_minimums": {"now": NOW},
    "data.dates.minimums.pending_checks": {"now": NOW},
}

# Two-factor login: the viewer's own account; the reset aims at B's login (refused for A).
SAMPLE_KWARGS |= {
    "data.access.totp.start_enrollment": {"now": NOW},
    "data.access.totp.confirm_enrollment": {"code": "000000", "now": NOW},
    "data.access.totp.disable": {"code": "000000", "now": NOW},
    "data.access.totp.accounts_with_2fa": {"partner_id": 1},
    "data.access.totp.reset": {"user_id": 20, "now": NOW},
}

# Webhooks: the worlds hold no endpoints; changes aim at an id that is nobody's (refused for
# every viewer), a save at an internal address (refused before anything is written). The
# two-partner delivery test is tests/integrations/test_webhooks.py.
SAMPLE_KWARGS |= {
    "data.integrations.webhooks.save_endpoint": {
        "url": "https://10.0.0.1/hook",
        "events": ["booking.created"],
        "now": NOW,
    },
    "data.integrations.webhooks.rotate_secret": {"endpoint_id": 999, "now": NOW},
    "data.integrations.webhooks.set_endpoint_enabled": {
        "endpoint_id": 999,
        "enabled": True,
        "now": NOW,
    },
    "data.integrations.webhooks.send_test_event": {"endpoint_id": 999, "now": NOW},
    "data.integrations.webhooks.redeliver": {"endpoint_id": 999, "now": NOW},
    "data.integrations.webhooks.claim_deliveries": {"now": NOW},
    "data.integrations.webhooks.record_attempts": {"attempts": [], "now": NOW},
    "data.integrations.webhooks.purge_log": {"now": NOW},
}

# Bewertungsanfragen (tests/support/review_requests.py): one answered request per partner.
SAMPLE_KWARGS |= {
    "data.reviews.requests.save_request_settings": {"settings": RequestSettings(), "now": NOW},
    "data.reviews.requests.queue_due_requests": {"now": NOW},
    "data.reviews.requests.verified_review_ids": {"review_ids": [1, 2, 3, 4]},
}

# Bewertungen: the world's reviews 1, 2 (A) and 3, 4 (B); A answers its review 1 (B is
# refused), staff decide on answer 1 (a partner is refused); the marketplace average compares
# the partner's own category (A and B differ in the world).
_ALL_REVIEWS = [1, 2, 3, 4]
SAMPLE_KWARGS |= {
    "data.reviews.dashboard.review_summary": {"now": NOW},
    "data.reviews.dashboard.review_by_id": {"review_id": 1},
    # the category's average over all partners: A's and B's categories differ in the world
    "data.reviews.dashboard.answered_share": {"product_ids": [101, 102, 201, 202]},
    "data.reviews.responses.answered_counts": {"product_ids": [101, 102, 201, 202]},
    "data.reviews.responses.save_answer": {"review_id": 1, "body": "Danke!", "now": NOW},
    "data.reviews.responses.answer_flags": {"review_id": 1, "text": "www.example.de"},
    "data.reviews.responses.answers_for": {"review_ids": _ALL_REVIEWS},
    "data.reviews.responses.answer_for_review": {"review_id": 1},
    "data.reviews.responses.approved_answers": {"review_ids": _ALL_REVIEWS},
    "data.reviews.responses.response_history": {"review_id": 1},
    "data.reviews.responses.approve_answer": {"response_id": 1, "now": NOW},
    "data.reviews.responses.reject_answer": {"response_id": 1, "reason": "other", "now": NOW},
}

# Functions that answer for the staff member, not for the partner staff are viewing as, and
# staff-only actions that a partner is refused.
STAFF_OWN = {
    "data.comms.sms_reminders.record_objection",
    "data.news.announcements.save_announcement",
    "data.news.announcements.withdraw_announcement",
    "data.news.announcements.staff_list",
    "data.news.announcements.queue_digests",
    "data.comms.member_digest.queue_digests",
    "data.news.announcements.digest_choice",
    "data.news.announcements.save_digest_choice",
    "data.access.users.set_locale",
    "data.access.users.change_password",
    "data.access.sessions.end_all_sessions",
    "data.access.sessions.count_sessions",
    "data.access.users.account_list",
    "data.access.resets.send_reset_link",
    "data.access.partners.choosable_partners",
    "data.access.partners.search_choosable",
    "data.access.partners.choosable_names",
    "data.comms.outbox.resend",
    "data.access.totp.status",
    "data.access.totp.start_enrollment",
    "data.access.totp.confirm_enrollment",
    "data.access.totp.disable",
    "data.access.totp.accounts_with_2fa",
    "data.access.totp.reset",
    "data.marketing.scores.score_overview",
    "data.reviews.responses.save_answer",  # staff never write answers
    "data.reviews.responses.moderation_queue",
    "data.reviews.responses.approve_answer",
    "data.reviews.responses.reject_answer",
    "data.access.team.my_prefs",
    "data.access.team.save_my_prefs",
}
# Staff-only payout actions: a partner is refused, staff viewing as A act on A's rows.
STAFF_OWN |= {
    "data.money.commission.set_course_rate",
    "data.money.commission.set_contract_rate",
    "data.money.settlement.set_settlement_start",
    "data.money.payouts.compute_payouts",
    "data.money.payouts.approve_payouts",
    "data.money.payouts.mark_paid",
    "data.money.documents.issue_for_payout",
    "data.money.documents.reissue_document",
    "data.money.documents.credit_notes_for_export",
    "data.money.documents.sepa_export",
    "data.money.documents.datev_export",
}

PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
WIDGET_A = Viewer.widget(1)
PARTNER_B = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


def _public_functions() -> Iterator[tuple[str, Callable]]:
    # Every module of every domain package; a package's private `_*` modules are reached only
    # through its public functions, which are called here.
    for info in pkgutil.walk_packages(data.__path__, prefix="data."):
        if info.ispkg or _private(info.name) or _not_queries(info.name):
            continue
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", fn


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _not_queries(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in NOT_QUERIES)


def test_discovery_walks_the_domain_packages() -> None:
    found = {qualname.rsplit(".", 1)[0] for qualname, _ in _public_functions()}
    assert {"data.bookings.listing", "data.money.payouts", "data.dates.series"} <= found
    assert "data.demand.waitlist" in found
    assert not any(module.startswith("data.demo") for module in found)


def _viewer_functions() -> list[tuple[str, Callable]]:
    return [
        (qualname, fn)
        for qualname, fn in _public_functions()
        if next(iter(inspect.signature(fn).parameters), None) == "viewer"
    ]


def test_every_public_data_function_takes_the_viewer_first() -> None:
    missing = [
        qualname
        for qualname, fn in _public_functions()
        if next(iter(inspect.signature(fn).parameters), None) != "viewer"
        and qualname not in UNSCOPED
    ]
    assert missing == [], f"data functions without a viewer: {missing}"
    assert len(_viewer_functions()) >= 8


# A widget key is random: two worlds make two different keys for the same partner. So is an
# API key (its prefix and its secret).
_WIDGET_KEY = re.compile(r"pk_[A-Za-z0-9_-]{16,32}")
_API_KEY = re.compile(r"mio_live_[a-z0-9]{8}(_[A-Za-z0-9_-]{43})?")
_FEED_TOKEN = re.compile(r"cal_[A-Za-z0-9_-]{32}")  # so is a calendar feed's token


def _normal(value: object) -> object:
    """A comparable, JSON-able form of whatever a data function returns."""
    if isinstance(value, pd.DataFrame):
        records = value.astype(object).where(value.notna(), None).to_dict("records")
        return sorted((_normal(r) for r in records), key=lambda r: json.dumps(r, sort_keys=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _normal(dataclasses.asdict(value))
    if isinstance(value, dict):
        # An outbox row's id is a sequence number that both partners' mails share in world AB
        # (A's mails get other ids there than alone, by the order the tests queued them);
        # the row's content is what must match.
        return {str(k): "<id>" if k == "message_id" else _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_normal(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    if isinstance(value, Decimal | float):
        return str(Decimal(str(value)).normalize())
    if isinstance(value, str):
        value = _FEED_TOKEN.sub("cal_<random>", value)
        return _WIDGET_KEY.sub("pk_<random>", _API_KEY.sub("mio_live_<random>", value))
    if value is None or isinstance(value, int | bool):
        return value
    return str(value)


def _results(
    db: Databases, viewer: Viewer, *, skip: frozenset[str] = frozenset()
) -> dict[str, object]:
    out: dict[str, object] = {}
    for qualname, fn in _viewer_functions():
        if qualname in skip:
            continue
        try:
            result = _normal(fn(viewer, db, **SAMPLE_KWARGS.get(qualname, {})))
            out[qualname] = "<build-dependent>" if qualname in BUILD_DEPENDENT else result
        except ScopeError as exc:
            out[qualname] = f"refused: {exc}"
        except InvalidInput as exc:  # e.g. change_password's wrong current password
            out[qualname] = f"invalid: {exc.key}"
    return out


@pytest.fixture(scope="module", params=["sqlite", "server"])
def worlds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Three pairs of databases: both partners, A only, B only."""
    made: dict[str, Databases] = {}
    stack = []
    try:
        for keep in ("AB", "A", "B"):
            tmp: Path = tmp_path_factory.mktemp(f"world_{keep}")
            ctx = fresh_databases(request.param, tmp)
            db = ctx.__enter__()
            stack.append(ctx)
            build_world(db, partners=keep)
            add_date_requests(db, partners=keep)
            add_minimums(db, partners=keep)
            add_review_requests(db, partners=keep)
            made[keep] = db
        yield made
    finally:
        for ctx in reversed(stack):
            ctx.__exit__(None, None, None)


def test_partner_a_sees_nothing_of_b(worlds: dict[str, Databases]) -> None:
    with_b = _results(worlds["AB"], PARTNER_A)
    without_b = _results(worlds["A"], PARTNER_A)
    for qualname in with_b:
        assert with_b[qualname] == without_b[qualname], f"{qualname} leaks partner B's data"
    text = json.dumps(with_b, ensure_ascii=False)
    for marker in (B.partner_name, *B.course_names, B.customer_email, str(B.amount)):
        assert marker not in text


def test_partner_b_sees_nothing_of_a(worlds: dict[str, Databases]) -> None:
    with_a = _results(worlds["AB"], PARTNER_B)
    without_a = _results(worlds["B"], PARTNER_B)
    for qualname in with_a:
        assert with_a[qualname] == without_a[qualname], f"{qualname} leaks partner A's data"
    assert "Kochschule Alpha" not in json.dumps(with_a, ensure_ascii=False)


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("backend", ["sqlite", "server"])
def test_staff_viewing_as_a_sees_what_a_sees(backend: str, tmp_path: Path) -> None:
    # The functions include writes (a decision, a cancelled date) that record who acted. So:
    # two identical fresh worlds, A acts in both first, then staff-as-A reads one and A the
    # other, both from the same state.
    worlds = {}
    with (
        fresh_databases(backend, _dir(tmp_path / "as_a")) as worlds["as_a"],
        fresh_databases(backend, _dir(tmp_path / "own")) as worlds["own"],
    ):
        for db in worlds.values():
            build_world(db)
            add_date_requests(db)
            add_review_requests(db)
            _results(db, PARTNER_A)
        # Staff's own actions (computing payouts …) would change what A then reads.
        as_a = _results(worlds["as_a"], STAFF.view_as(1), skip=frozenset(STAFF_OWN))
        own = _results(worlds["own"], PARTNER_A)
    for qualname in as_a:
        assert as_a[qualname] == own[qualname], qualname


def test_the_widget_of_a_sees_nothing_of_b(worlds: dict[str, Databases]) -> None:
    # The public widget reads as A's read-only viewer: the same scope as A's own login.
    with_b = _results(worlds["AB"], WIDGET_A)
    without_b = _results(worlds["A"], WIDGET_A)
    for qualname in with_b:
        assert with_b[qualname] == without_b[qualname], f"{qualname} leaks partner B's data"
    text = json.dumps(with_b, ensure_ascii=False)
    for marker in (B.partner_name, *B.course_names, B.customer_email, str(B.amount)):
        assert marker not in text


def test_staff_sees_both_partners(worlds: dict[str, Databases]) -> None:
    everything = json.dumps(_results(worlds["AB"], STAFF), ensure_ascii=False)
    assert B.partner_name in everything
    assert "Kochschule Alpha" in everything


def test_a_partner_cannot_view_as_another() -> None:
    with pytest.raises(ScopeError):
        PARTNER_A.view_as(2)
