"""Compiling shots into prompts: one template per backend family, shared blocks for the rest.

``compile_shotlist`` renders every shot through ``<backend>.j2`` (or ``default.j2`` for a backend
with no template of its own). Each :class:`ShotPrompt` knows its shot, backend, template, the
hash of the template sources it came from, and its length; a prompt longer than the backend
accepts is an error naming the shot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Template, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from previz.backends.registry import backend_templates
from previz.errors import PromptTooLongError, TemplateError
from previz.prompts.environment import add_folder, make_environment, search_path, template_hash
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList

PromptLimit = Callable[[str, str | None], int]
"""(backend, model) → the longest prompt that backend accepts, in characters."""


@dataclass(frozen=True)
class ShotPrompt:
    """A shot's compiled prompt for one backend."""

    shot_id: str
    backend: str
    model: str | None
    text: str
    template: str
    template_hash: str
    negative_prompt: str | None

    @property
    def length(self) -> int:
        return len(self.text)


class PromptCompiler:
    """Renders shots of one shot list; holds the environment so templates parse once."""

    def __init__(self, shotlist: ResolvedShotList, *, limit: PromptLimit | None = None) -> None:
        self.shotlist = shotlist
        self.env: SandboxedEnvironment = make_environment(shotlist.templates_dir)
        self.limit = limit
        # backend → (template name, template, hash): templates do not change during a compile
        self._resolved: dict[str, tuple[str, Template, str]] = {}

    def template_for(self, backend: str) -> str:
        """``<backend>.j2`` when some search folder — or the backend plugin's own ``templates``
        folder — has it, else ``default.j2``."""
        try:
            self.env.get_template(f"{backend}.j2")
        except TemplateNotFound:
            folder = backend_templates(backend)
            if folder is None:
                return "default.j2"
            add_folder(self.env, folder)
            return self.template_for(backend)
        except TemplateSyntaxError as error:
            raise _syntax_error(error) from None
        return f"{backend}.j2"

    def compile(self, shot: ResolvedShot, backend: str | None = None) -> ShotPrompt:
        """Render one shot for ``backend`` (the shot's own backend by default)."""
        backend = backend or shot.backend
        known = self._resolved.get(backend)
        name = known[0] if known else self.template_for(backend)
        try:
            name, template, digest = self._template(backend)
            text = template.render(**self._context(shot, backend))
        except TemplateSyntaxError as error:
            raise _syntax_error(error) from None
        except SecurityError as error:
            raise TemplateError(
                f"template '{name}' reaches for something the sandbox forbids: {error}",
                shot_id=shot.id,
                backend=backend,
                hint="templates may read the shot's fields, not Python "
                "internals (no attributes starting with '_')",
            ) from None
        except UndefinedError as error:
            raise TemplateError(
                f"template '{name}' uses an undefined value: {error.message}",
                shot_id=shot.id,
                backend=backend,
                hint="check the spelling; variables are project, style, scene, "
                "shot, cast, location, props, sound, backend, model",
            ) from None
        except TemplateNotFound as error:
            raise TemplateError(
                f"template '{error.name}' not found",
                shot_id=shot.id,
                hint="searched: " + ", ".join(search_path(self.env)),
            ) from None
        text = _tidy(text)
        prompt = ShotPrompt(
            shot_id=shot.id,
            backend=backend,
            model=shot.model,
            text=text,
            template=name,
            template_hash=digest,
            negative_prompt=shot.negative_prompt,
        )
        self._check_length(prompt)
        return prompt

    def _template(self, backend: str) -> tuple[str, Template, str]:
        """The template ``backend`` renders with, looked up and hashed once per compiler."""
        found = self._resolved.get(backend)
        if found is None:
            name = self.template_for(backend)
            found = (name, self.env.get_template(name), template_hash(self.env, name))
            self._resolved[backend] = found
        return found

    def _context(self, shot: ResolvedShot, backend: str) -> dict[str, object]:
        project = self.shotlist.project
        sound = shot.take_sound  # timed in the take generated, which a head trim cuts into
        return {
            "project": project,
            "style": project.style,
            "scene": shot.scene,
            "heading": shot.heading,
            "shot": shot,
            "action": shot.shot.action,
            "cast": shot.cast,
            "wardrobe": shot.wardrobe,
            "location": shot.location,
            "props": shot.props,
            "sound": sound,
            "dialogue": [c for c in sound if c.kind == "dialogue"],
            "effects": [c for c in sound if c.kind != "dialogue"],
            "backend": backend,
            "model": shot.model,
        }

    def _check_length(self, prompt: ShotPrompt) -> None:
        if self.limit is None:
            return
        limit = self.limit(prompt.backend, prompt.model)
        if prompt.length > limit:
            raise PromptTooLongError(
                f"prompt is {prompt.length} characters; backend '{prompt.backend}' accepts at "
                f"most {limit}",
                shot_id=prompt.shot_id,
                backend=prompt.backend,
                hint="shorten the action or character descriptions, or override the template "
                "in the project's templates folder",
            )


def compile_shotlist(
    shotlist: ResolvedShotList, backend: str | None = None, *, limit: PromptLimit | None = None
) -> list[ShotPrompt]:
    """Compile every shot (for ``backend``, or each shot's own backend)."""
    compiler = PromptCompiler(shotlist, limit=limit)
    return [compiler.compile(shot, backend) for shot in shotlist.shots]


def _syntax_error(error: TemplateSyntaxError) -> TemplateError:
    return TemplateError(
        f"template syntax: {error.message}",
        path=Path(error.filename) if error.filename else error.name,
        line=error.lineno,
        hint="check the {% %} and {{ }} pairs on that line",
    )


_BLANKS = re.compile(r"[ \t]{2,}|\t")  # a lone space is already what a run becomes
_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Trim each line, drop blank runs: templates may be laid out for reading, prompts not."""
    if "  " in text or "\t" in text:  # a substring search is cheaper than a regex scan
        text = _BLANKS.sub(" ", text)
    text = "\n".join(line.strip() for line in text.splitlines())
    return (_BLANK_RUNS.sub("\n\n", text) if "\n\n\n" in text else text).strip()
