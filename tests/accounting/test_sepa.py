"""The SEPA transfer file for approved payouts, as the bank checks it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from accounting.model import Party
from accounting.sepa import NAMESPACE, SepaPayment, control_sum, schema_path, sepa_xml

D = Decimal
NS = {"p": NAMESPACE}

MIOMENTE = Party(
    name="Miomente GmbH",
    street="Hanauer Landstraße 1",
    postcode="60314",
    city="Frankfurt am Main",
    country_id="DE",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
)


def payment(**changes: object) -> SepaPayment:
    values: dict[str, object] = {
        "name": "Kochschule Müßig & Söhne",
        "iban": "DE02 1203 0000 0000 2020 51",
        "bic": "BYLADEM1001",
        "amount": D("1234.56"),
        "reference": "GS-2026-00017 Auszahlung Oktober 2026 Kochschule Müßig",
        "end_to_end_id": "GS-2026-00017",
    }
    values.update(changes)
    return SepaPayment(**values)  # type: ignore[arg-type]


PAYMENTS = (
    payment(),
    payment(
        name="Kochstudio Grünblatt GmbH",
        iban="AT611904300234573201",
        bic=None,
        amount=D("0.99"),
        reference="GS-2026-00018",
        end_to_end_id="GS-2026-00018",
    ),
    payment(
        name="Weinschule Rheingau",
        iban="DE75512108001245126199",
        bic=None,
        amount=D("10000.00"),
        reference="GS-2026-00019",
        end_to_end_id="GS-2026-00019",
    ),
)


def build(payments: tuple[SepaPayment, ...] = PAYMENTS) -> bytes:
    return sepa_xml(
        debtor=MIOMENTE,
        payments=payments,
        execution_date=date(2026, 11, 6),
        message_id="MIO-AUSZAHLUNG-2026-10",
        created_at=datetime(2026, 11, 5, 9, 30),
    )


def test_file_validates_against_the_pain_001_schema() -> None:
    schema = etree.XMLSchema(etree.parse(schema_path()))
    root = etree.fromstring(build())
    assert schema.validate(root), schema.error_log
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == (
        "MIO-AUSZAHLUNG-2026-10"
    )
    assert root.findtext(".//p:ReqdExctnDt", namespaces=NS) == "2026-11-06"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"


def test_control_sum_is_the_sum_of_the_transfers() -> None:
    root = etree.fromstring(build())
    amounts = [D(e.text) for e in root.findall(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)]
    assert amounts == [D("1234.56"), D("0.99"), D("10000.00")]
    assert control_sum(build()) == sum(amounts) == D("11235.55")
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext(".//p:PmtInf/p:CtrlSum", namespaces=NS) == "11235.55"


def test_umlauts_are_transliterated_the_german_way() -> None:
    root = etree.fromstring(build())
    names = [e.text for e in root.findall(".//p:Cdtr/p:Nm", NS)]
    assert names[0] == "Kochschule Muessig + Soehne"
    assert names[1] == "Kochstudio Gruenblatt GmbH"
    references = [e.text for e in root.findall(".//p:RmtInf/p:Ustrd", NS)]
    assert references[0] == "GS-2026-00017 Auszahlung Oktober 2026 Kochschule Muessig"
    assert root.findtext(".//p:EndToEndId", namespaces=NS) == "GS-2026-00017"


def test_long_reference_is_cut_to_140_characters() -> None:
    xml = build((payment(reference="Auszahlung " + "ä" * 200),))
    reference = etree.fromstring(xml).findtext(".//p:RmtInf/p:Ustrd", namespaces=NS)
    assert len(reference) == 140
    assert reference.startswith("Auszahlung aeae")


def test_same_batch_gives_the_same_file() -> None:
    assert build() == build()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"iban": "DE02120300000000202052"}, "Ungültige IBAN"),  # wrong check digits
        ({"iban": "DE0212030000"}, "Ungültige IBAN"),
        ({"iban": ""}, "Ungültige IBAN"),
        ({"amount": D("0.00")}, "größer als 0"),
        ({"amount": D("-5.00")}, "größer als 0"),
        ({"amount": D("1.005")}, "zwei Nachkommastellen"),
        ({"bic": "NOTABIC"}, "Ungültige BIC"),
        ({"name": "   "}, "Empfängername"),
    ],
)
def test_refuses_what_the_bank_would_reject(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build((payment(**bad),))


def test_refuses_an_empty_batch_and_duplicate_references() -> None:
    with pytest.raises(ValueError, match="leer"):
        build(())
    with pytest.raises(ValueError, match="Doppelte"):
        build((payment(), payment(amount=D("1.00"))))
