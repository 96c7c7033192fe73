"""Compiled templates kept between runs: Jinja's own file cache of template bytecode.

Compiling a template — lexing, parsing, generating Python and compiling it — costs more than
rendering it: ~35 ms for the review page and ~8 ms for the prompt blocks, on every build.
Jinja can keep the compiled code in files (:class:`jinja2.FileSystemBytecodeCache`): one per
template name and file, written atomically, and used only while its checksum matches the
template's source, for the same Jinja bytecode format and Python version.

What Jinja's key leaves out is how the environment compiles: its options (``trim_blocks``,
autoescaping, the sandbox's operator hooks…). So :func:`compiled_templates` keys the files
also by a *flavour*: the Jinja version and the source of the module that sets the environment
up, so changing an option there never runs code compiled under the old one. The files live
beside the product records (:func:`previz.products.products_dir`); a file that cannot be read
or written costs one compile, never an error.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import ModuleType

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from previz.products import product_key, products_dir, read_private

FOLDER = "compiled-templates"
"""The folder under :func:`~previz.products.products_dir` that holds the compiled templates."""


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's file cache, keyed by flavour too, and never failing a render."""

    def __init__(self, directory: str, flavour: str) -> None:
        super().__init__(directory, "%s.j2c")
        self.flavour = flavour

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{self.flavour}|{name}|{filename}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        # compiled code is run: only from this user's own private file (products.read_private),
        # named as Jinja names it (its documented pattern, filled with the bucket's key)
        data = read_private(Path(self.directory) / (self.pattern % (bucket.key,)))
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)
        except Exception:  # a damaged file (pickle, marshal): compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass  # an unwritable cache folder: the next run compiles again


def compiled_templates(*setup: ModuleType) -> FileSystemBytecodeCache | None:
    """The bytecode cache for environments set up by the modules ``setup`` (their source and
    the Jinja version make the flavour); None, so every run compiles, when a module's file
    cannot be read (an install without files)."""
    files = [getattr(module, "__file__", None) for module in setup]
    try:
        sources = [Path(file).read_bytes() for file in files if file]
    except OSError:
        return None
    if len(sources) != len(setup):
        return None
    flavour = product_key("compiled templates", jinja2.__version__, *sources)
    return _CompiledTemplates(str(products_dir() / FOLDER), flavour)
