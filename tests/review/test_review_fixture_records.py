"""The shared review build keeps its product records in the test session's temp folder."""

from __future__ import annotations

from pathlib import Path

from previz.pipeline import BuildResult
from previz.products import ProductStore


def test_shared_build_records_products_in_the_session_temp_folder(
    review_build: BuildResult, review_project: Path, _own_product_records: Path
) -> None:
    records = ProductStore(review_project.parent / "out", records=_own_product_records).records
    assert sorted(p.name for p in records.glob("*.json")), "no product record in the temp folder"
