"""The backend contract is a tested list: everything exported exists, and nothing public hides.

As httpx's ``tests/test_exported_members.py`` does for httpx: ``__all__`` names exactly the
public members of ``previz.backends``, and each one's home is the package (or the module it is
re-exported from).
"""

from __future__ import annotations

import previz.backends

CONTRACT = {
    "Backend",
    "BackendOptions",
    "Capabilities",
    "GROUP",
    "HttpBackend",
    "Job",
    "JobStatus",
    "JobUpdate",
    "LocalBackend",
    "Reference",
    "RemoteBackend",
    "RenderedMedia",
    "ServicePayload",
    "ShotFacts",
    "register_backend",
    "unregister_backend",
}


def test_all_lists_exactly_the_contract() -> None:
    assert set(previz.backends.__all__) == CONTRACT


def test_every_exported_name_exists() -> None:
    missing = [name for name in previz.backends.__all__ if not hasattr(previz.backends, name)]
    assert missing == []


def test_no_public_class_or_function_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(previz.backends).items()
        if not name.startswith("_") and (isinstance(value, type) or callable(value))
    }
    assert public <= set(previz.backends.__all__)


def test_exported_classes_live_in_previz_backends() -> None:
    for name in previz.backends.__all__:
        value = getattr(previz.backends, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__.startswith("previz.backends"), name
