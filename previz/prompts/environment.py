"""The Jinja environment prompts are rendered in: sandboxed, strict, and looked up in two places.

Templates are looked up in the project's templates folder first, then in the templates that ship
with previz, so a project overrides one block (say ``blocks/camera.j2``) and keeps the rest; a
backend plugin's own ``templates/`` folder is searched last, for its ``<backend>.j2``. The
sandbox forbids reaching into Python internals; ``StrictUndefined`` turns a misspelt variable
into an error instead of an empty string in a prompt someone pays for.
"""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, Template, meta
from jinja2.environment import TemplateModule
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from previz.prompts import phrases
from previz.prompts.compiled import compiled_templates


def package_templates() -> Path:
    """The templates shipped with previz (inside the wheel, or the repo's folder in a checkout)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "_templates"
    return installed if installed.is_dir() else here.parent / "templates"


class _Template(Template):
    """A template whose ``{% from ... import %}`` reuses the imported module when it can.

    On every import (six per prompt) Jinja works out which of the importing context's globals
    the imported template lacks, through a Python-level set difference over a ``ChainMap``.
    Here every template is loaded with the environment's globals and none of its own, so that
    difference is empty; checking it against the environment's plain dict (in C) first keeps
    Jinja's behaviour — its own path still runs whenever a context does bring new globals.
    """

    def _get_default_module(self, ctx: Context | None = None) -> TemplateModule:
        if ctx is not None and not ctx.globals_keys.issubset(self.environment.globals):
            return super()._get_default_module(ctx)
        return super()._get_default_module(None)


class _PromptSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with the answers it gives over and over kept instead of recomputed.

    Whether an attribute is safe depends only on the object's type and the attribute's name
    (names starting with ``_`` and the internals of functions, frames, generators…), so it is
    worked out once per pair. A template is looked up once per (name, importing template):
    every prompt imports six blocks, and Jinja's own lookup builds a weak reference each time.
    The environment never reloads templates (``auto_reload=False``), so the same template comes
    back either way; a template not found is not remembered, so a folder added later is searched.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._safe: dict[tuple[type, str], bool] = {}
        self._found: dict[tuple[str, str | None], Template] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind = type(obj)
        if obj.__class__ is not kind:  # an object that says it is something else: ask every time
            return super().is_safe_attribute(obj, attr, value)
        safe = self._safe.get((kind, attr))
        if safe is None:
            safe = self._safe[kind, attr] = super().is_safe_attribute(obj, attr, value)
        return safe

    def getattr(self, obj: Any, attribute: str) -> Any:
        # the sandbox's own path, minus two calls, for a plain value of a known-safe attribute;
        # a method (perhaps ``str.format``, which the sandbox wraps) or anything new goes there
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        kind = type(obj)
        if (
            type(value) in _METHODS
            or obj.__class__ is not kind
            or not self._safe.get((kind, attribute))
        ):
            return super().getattr(obj, attribute)
        return value

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if globals or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        template = self._found.get((name, parent))
        if template is None:
            template = self._found[name, parent] = super().get_template(name, parent)
        return template


_METHODS = (types.MethodType, types.BuiltinMethodType)


def make_environment(project_templates: Path | None = None) -> SandboxedEnvironment:
    """A sandboxed environment searching ``project_templates`` first, then the package's."""
    folders = [str(p) for p in (project_templates, package_templates()) if p is not None]
    env = _PromptSandbox(
        loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
        auto_reload=False,  # one environment per compile run: no stat() per template lookup
        bytecode_cache=compiled_templates(sys.modules[__name__]),  # compiled once, kept
    )
    env.template_class = _Template
    env.filters.update(
        size=phrases.size_phrase,
        angle=phrases.angle_phrase,
        movement=phrases.movement_phrase,
        lens=phrases.lens_phrase,
        camera=phrases.camera_phrase,
        lighting=phrases.lighting_phrase,
        style=phrases.style_phrase,
        cue=phrases.cue_phrase,
        seconds=phrases.time_phrase,
        sentence=phrases.sentence,
    )
    env.globals["search_path"] = tuple(folders)
    return env


def add_folder(env: SandboxedEnvironment, folder: Path) -> None:
    """Search ``folder`` last (a backend plugin's own templates), after the project's and
    previz's, so a project still overrides the plugin's template and the plugin's template
    can use previz's shared blocks."""
    loader = env.loader
    assert isinstance(loader, ChoiceLoader)
    loader.loaders = [*loader.loaders, FileSystemLoader(str(folder))]
    env.globals["search_path"] = (*search_path(env), str(folder))


def search_path(env: SandboxedEnvironment) -> tuple[str, ...]:
    """The folders ``env`` looks up templates in, first match wins."""
    folders = env.globals.get("search_path", ())
    return tuple(str(f) for f in folders) if isinstance(folders, tuple) else ()


def template_hash(env: SandboxedEnvironment, name: str) -> str:
    """sha256 over the source of ``name`` and of every template it includes, imports or extends.

    Editing a shared block changes the hash of every template that uses it, so the cache
    regenerates exactly the prompts whose wording could have changed.
    """
    return _template_hash(env, name, search_path(env))


@cache
def _template_hash(env: SandboxedEnvironment, name: str, _key: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, current)
        digest.update(current.encode() + b"\0" + source.encode() + b"\0")
        pending.extend(t for t in meta.find_referenced_templates(env.parse(source)) if t)
    return digest.hexdigest()
