"""Fixtures of the integration tests: a real S3-compatible server (moto) for the shared cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

try:
    import moto  # noqa: F401
except ImportError:  # pragma: no cover - moto is a dev dependency
    MOTO = False
else:
    MOTO = True


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto in server mode on 127.0.0.1 (its own process) for the whole session."""
    if not MOTO:
        pytest.skip("moto is not installed: pip install 'moto[server]' (a dev dependency)")
    from tests.fakes.s3 import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> str:
    """A fresh bucket, the AWS variables pointing at moto, and a private local copy folder.

    Returns ``s3://<bucket>/team`` — the URL a team would put in its projects.
    """
    import boto3

    from tests.fakes.s3 import s3_environment

    for name, value in s3_environment(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("PREVIZ_CACHE_DIR", raising=False)
    monkeypatch.setenv("PREVIZ_CACHE_COPY", str(tmp_path_factory.mktemp("copy")))
    name = f"previz-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return f"s3://{name}/team"
