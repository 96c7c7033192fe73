"""What the build server holds: every module a command may import, imported once
(:func:`warm_up`), and the fingerprint of what those imports depended on (:class:`Fingerprint`),
so that it steps aside when that changes (:mod:`previz.cli.server`)."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pkgutil
import sys
import threading

SKIPPED = ("previz.__main__", "previz.cli.server", "previz.testing", "previz.review.boards_pdf")
"""Modules that act when imported, or that no command's start needs and that start threads as
they are imported (fpdf2 brings numpy, whose thread pool a fork would not carry)."""
LIBRARIES = (
    "asyncio", "concurrent.futures", "resource", "multiprocessing.pool",
    "multiprocessing.popen_fork", "multiprocessing.synchronize", "subprocess", "av",
    "av.subtitles.stream", "PIL.Image", "PIL.ImageChops", "PIL.ImageDraw", "PIL.ImageFont",
    "PIL.ImageMath", "PIL.ImageSequence", "imageio_ffmpeg", "opentimelineio", "jinja2", "yaml",
    "xml.dom.minidom", "packaging.version", "rich._emoji_codes", "encodings.unicode_escape",
    "encodings.utf_8_sig",
)  # fmt: skip
"""Libraries previz imports inside its functions, imported here once for every command."""
Identity = tuple[int, int, int, int]


def warm_up() -> None:
    """Import every command, every module of previz and the libraries it imports lazily, with
    the collector paused; then freeze what they made, so no child's collections scan it (or
    copy the pages it lives in)."""
    from previz import collector, dataclass_code, entry_points
    from previz.products import products_dir

    with collector.paused(), dataclass_code.kept(products_dir() / dataclass_code.FOLDER):
        from previz.cli.app import COMMAND_MODULES, load_command

        entry_points.no_pydantic_plugins()
        for name in COMMAND_MODULES:
            load_command(name)
        import previz

        for name in _modules(previz.__path__, "previz."):
            with contextlib.suppress(ImportError):  # an extra not installed: as in a command
                importlib.import_module(name)
        for name in LIBRARIES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        with contextlib.suppress(ImportError):
            from PIL import Image

            Image.init()  # its file format plugins, which it imports as it first saves
    gc.collect()
    gc.freeze()
    if threading.active_count() > 1 or _native_threads() > 1:
        raise RuntimeError("an import started a thread: forking would not carry it")


def _native_threads() -> int:
    try:
        return len(os.listdir(f"/proc/{os.getpid()}/task"))
    except OSError:  # no /proc: Python's own threads were counted
        return 1


def _modules(paths: list[str], prefix: str) -> list[str]:
    """The modules under ``paths``, not looking into a skipped package (walking a package
    means importing it)."""
    found = []
    for module in pkgutil.iter_modules(paths, prefix):
        if module.name in SKIPPED:
            continue
        found.append(module.name)
        if module.ispkg:
            try:
                package = importlib.import_module(module.name)
            except ImportError:  # an extra not installed: its commands import it as they run
                continue
            found.extend(_modules(list(package.__path__), f"{module.name}."))
    return found


class Fingerprint:
    """What the server's imports depended on, as it imported them (``since``: when it began):
    the identity of every file it imported, and what each folder on ``sys.path`` offers to
    import (a library installed or removed, a ``.pth`` file, a module saved beside a scene
    script). What a command imports itself it finds on disk as a fresh process would; what the
    server imported, or found missing, must still be so."""

    def __init__(self, since: int) -> None:
        self.taken = {
            source: _identity(source)
            for module in list(sys.modules.values())
            if isinstance(source := getattr(module, "__file__", None), str)
        }
        self.folders = {
            folder: (_identity(folder), _importable(folder))
            for folder in dict.fromkeys(sys.path)
            if folder and os.path.isdir(folder)
        }
        # one changed while it was imported: the code held may be the old one
        self.racy = any(seen is not None and seen[3] >= since for seen in self.taken.values())

    def changed(self) -> bool:
        """Whether a file the server imported changed (or went), or what a folder on the path
        offers to import did."""
        if self.racy or any(_identity(path) != seen for path, seen in self.taken.items()):
            return True
        for folder, (seen, names) in self.folders.items():
            if _identity(folder) != seen and _importable(folder) != names:
                return True  # (a file saved that no import can name leaves it as it was)
        return False


def _importable(folder: str) -> frozenset[str]:
    """The names in ``folder`` an import or the interpreter's start could use."""
    found = set()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(_IMPORTABLE):
                found.add(name)
            elif name.isidentifier() and os.path.exists(os.path.join(entry.path, "__init__.py")):
                found.add(name + "/")  # a package (a library's namespace package comes with
                # its .dist-info; a bare folder, such as a build's output, is not counted)
    return frozenset(found)


_IMPORTABLE = (".py", ".pyc", ".so", ".pyd", ".pth", ".dist-info", ".egg-info", ".egg-link", ".egg")


def _identity(path: str) -> Identity | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino, found.st_ctime_ns)
