"""Prompt compilation: shots rendered through sandboxed Jinja templates, per backend family."""

from previz.prompts.compiler import PromptCompiler, ShotPrompt, compile_shotlist
from previz.prompts.environment import make_environment, package_templates, template_hash

__all__ = [
    "PromptCompiler",
    "ShotPrompt",
    "compile_shotlist",
    "make_environment",
    "package_templates",
    "template_hash",
]
