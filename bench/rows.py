"""Rows the benchmarks seed alike."""

from __future__ import annotations


def partner_rows(count: int) -> list[dict[str, object]]:
    """`count` partners with ids 1..count: what miomente_partners needs, nothing more."""
    return [
        {"partner_id": i, "slug": f"bench-{i}", "name": f"Bench {i}", "kind": "Kochschule",
         "legal_name": f"Bench {i} GmbH", "street": "Weg 1", "postcode": "10115",
         "city": "Berlin", "email": f"bench{i}@example.org"}
        for i in range(1, count + 1)
    ]  # fmt: skip
