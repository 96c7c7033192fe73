"""Starting the CLI imports only what every command needs: no PDF library, no HTTP client.

fpdf2 (with fontTools and numpy) is for ``previz boards``; httpx and google-auth are for the
service backends; the export writers (pyaaf2, lxml, the EDL adapter) run only when an export
is stale, the screenplay readers only for a screenplay, ruamel.yaml only to locate a problem in
a scene file or to edit one. Each check runs in a fresh interpreter, since this one has
imported them.
"""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"import sys; {statement}; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


HEAVY = ("fpdf", "fontTools", "numpy", "httpx", "google.auth")


@pytest.mark.parametrize("statement", ["import previz.cli", "import previz"])
def test_starting_previz_imports_no_pdf_or_http_library(statement: str) -> None:
    assert _loaded_after(statement, HEAVY) == []


def test_http_backend_is_still_exported_and_brings_httpx() -> None:
    statement = "from previz.backends import HttpBackend; assert HttpBackend.__name__"
    assert _loaded_after(statement, ("httpx",)) == ["httpx"]


def test_writing_boards_still_imports_the_pdf_library() -> None:
    statement = "from previz.review import boards_pdf; assert boards_pdf.Boards"
    assert _loaded_after(statement, ("fpdf",)) == ["fpdf"]


LIBRARY = ("pydantic", "av", "opentimelineio", "jinja2", "yaml", "click", "rich")


def test_asking_a_build_stamp_imports_none_of_the_library(tmp_path) -> None:  # type: ignore[no-untyped-def]
    statement = (
        f"import os; os.chdir({str(tmp_path)!r}); from previz.cli import stamp; "
        "assert not stamp.replay(['build', 'scene.yaml'])"
    )
    assert _loaded_after(statement, LIBRARY) == []


def test_asking_a_build_stamp_reads_no_kept_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    statement = (
        f"import os; os.chdir({str(tmp_path)!r}); from previz.cli import stamp; "
        "assert not stamp.replay(['build', 'scene.yaml'])"
    )
    kept = ("dataclasses", "previz.dataclass_code", "previz.entry_points")
    assert _loaded_after(statement, kept) == []


def test_importing_previz_defers_the_library_until_a_name_is_used() -> None:
    assert _loaded_after("import previz", LIBRARY) == []
    assert "pydantic" in _loaded_after("import previz; previz.load", LIBRARY)


OTHER_COMMANDS = (
    "previz.cli.conform", "previz.cli.export", "previz.cli.review", "previz.conform",
    "previz.reports",  # what cost, log and cache report
)  # fmt: skip


def test_looking_up_build_imports_only_the_build_commands_module() -> None:
    statement = (
        "import click; from previz.cli import cli; "
        "assert cli.get_command(click.Context(cli), 'build') is not None"
    )
    assert _loaded_after(statement, OTHER_COMMANDS) == []


def test_every_command_is_registered_by_the_module_the_group_names() -> None:
    from previz.cli import conform, export, generate, review, scene, server_commands  # noqa: F401
    from previz.cli.app import COMMAND_MODULES, cli

    registered = {name: command.callback.__module__ for name, command in cli.commands.items()}
    named = {name: f"previz.cli.{module}" for name, module in COMMAND_MODULES.items()}
    assert registered == named


WRITERS_AND_READERS = (
    "aaf2", "lxml", "otio_cmx3600_adapter", "screenplain", "previz.timeline.aaf",
    "previz.timeline.fcp7", "previz.timeline.edl", "previz.shotlist.breakdown", "fsspec",
    "ruamel.yaml", "previz.shotlist.edit", "previz.review.notes", "previz.review.boards",
    "previz.shotlist.script", "previz.shotlist.fdx", "previz.shotlist.fountain",
)  # fmt: skip


def test_looking_up_build_imports_no_export_writer_nor_scene_file_reader_or_editor() -> None:
    statement = (
        "import click; from previz.cli import cli; "
        "assert cli.get_command(click.Context(cli), 'build') is not None"
    )
    assert _loaded_after(statement, WRITERS_AND_READERS) == []


def test_main_leaves_the_cycle_collector_as_it_found_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from previz.cli import main

    monkeypatch.setattr(sys, "argv", ["previz", "backends"])
    with pytest.raises(SystemExit):
        main()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_main_leaves_the_collector_thresholds_as_it_found_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from previz.cli import main

    found = gc.get_threshold()
    monkeypatch.setattr(sys, "argv", ["previz", "backends"])
    gc.set_threshold(1234, 5, 6)
    try:
        with pytest.raises(SystemExit):
            main()
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*found)


def test_a_command_runs_with_the_collector_looking_less_often(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from previz import collector
    from previz.cli import main
    from previz.cli.app import cli

    seen = []
    monkeypatch.setattr(cli, "main", lambda *a, **k: seen.append(gc.get_threshold()))
    monkeypatch.setattr(sys, "argv", ["previz", "backends"])
    main()
    assert seen == [(collector.YOUNG_OBJECTS, *gc.get_threshold()[1:])]


def test_the_console_script_ends_with_the_command_s_objects_frozen(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The process exits next: its last collections need not scan what the command made."""
    from previz.cli import run

    monkeypatch.setattr(sys, "argv", ["previz", "backends"])
    try:
        with pytest.raises(SystemExit):
            run()
        assert gc.get_freeze_count() > 0
        assert "previz.cli.generate" in sys.modules
    finally:
        gc.unfreeze()


def test_a_local_cache_folder_is_used_without_fsspec(tmp_path) -> None:  # type: ignore[no-untyped-def]
    statement = (
        f"from previz.generate.store import open_store; store = open_store({str(tmp_path)!r}); "
        "tag = store.create('a/record.json', b'1'); store.swap('a/record.json', b'2', tag); "
        "assert store.read('a/record.json').data == b'2'"
    )
    assert _loaded_after(statement, ("fsspec",)) == []
    listing = f"{statement}; assert store.listing('a')['a/record.json'] == 1"
    assert _loaded_after(listing, ("fsspec",)) == ["fsspec"]


def test_the_review_package_still_exports_the_notes_and_boards() -> None:
    statement = "from previz.review import ReviewNote, merge_notes, read_notes, write_boards"
    assert _loaded_after(statement, ("ruamel.yaml",)) == ["ruamel.yaml"]


def test_a_call_that_succeeds_at_once_never_imports_tenacity() -> None:
    call = (
        "import asyncio; from previz.generate.retry import call_with_retries\n"
        "async def ok(): return 1\n"
        "assert asyncio.run(call_with_retries(ok, sleep=asyncio.sleep)) == 1"
    )
    assert _loaded_after(call, ("tenacity",)) == []


def test_a_retried_call_is_retried_through_tenacity() -> None:
    call = (
        "import asyncio; from previz.errors import RetryableServiceError\n"
        "from previz.generate.retry import RetryPolicy, call_with_retries\n"
        "tries = []\n"
        "async def flaky():\n"
        "    tries.append(1)\n"
        "    if len(tries) < 3: raise RetryableServiceError('busy')\n"
        "    return len(tries)\n"
        "async def nap(seconds): pass\n"
        "run = call_with_retries(flaky, sleep=nap, policy=RetryPolicy(attempts=3))\n"
        "assert asyncio.run(run) == 3"
    )
    assert _loaded_after(call, ("tenacity",)) == ["tenacity"]
