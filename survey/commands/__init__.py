"""CLI command groups beyond the core ones in survey/cli.py; each module exposes `commands`."""

from __future__ import annotations

import importlib

import click

# One module per area; add a line when adding a module.
MODULES: tuple[str, ...] = ("tokens", "backup", "users", "report", "drafts")


def all_commands() -> list[click.Command]:
    commands: list[click.Command] = []
    for name in MODULES:
        commands.extend(importlib.import_module(f"{__name__}.{name}").commands)
    return commands
