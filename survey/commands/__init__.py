"""The `hailong` commands: one module per area, each exposing `commands`; survey/cli.py registers them.

A command's module is imported only when that command runs (or when `hailong --help` lists them all), so
`hailong indices` does not import the PDF, spreadsheet or import code of the other commands.

To add an area: write `survey/commands/<area>.py` with `commands = [...]` and add each command's name to
COMMANDS below (tests/test_cli_startup.py checks that COMMANDS and the modules' lists agree).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import click

#: Every command's name and the module of this package that defines it, in the order of the areas.
COMMANDS: dict[str, str] = {
    "init": "setup", "serve": "setup",
    "config": "config",
    "wards": "wards",
    "points": "points",
    "qr": "posters",
    "responses": "responses",
    "indices": "indices",
    "report": "report",
    "tokens": "tokens",
    "backup": "backup", "restore": "backup",
    "users": "users",
    "pakn": "pakn",
    "paper": "paper",
    "drafts": "drafts",
    "plan": "numbers", "sdg": "numbers", "margins": "numbers",
    "rollups": "rollups",
    "province": "province",
    "worker": "worker",
    "jobs": "jobs",
}

#: Every command module, in the order of the areas.
MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def module(area: str) -> ModuleType:
    """The command module of one area (imported on first use)."""
    return importlib.import_module(f"{__name__}.{area}")


def load(name: str) -> list[click.Command]:
    """The commands of the module that defines `name` (all of them, so a module is imported once)."""
    return list(module(COMMANDS[name]).commands)


def all_commands() -> list[click.Command]:
    """Every command of every module, in MODULES order (imports them all)."""
    return [command for area in MODULES for command in module(area).commands]
