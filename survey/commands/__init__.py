"""The `hailong` commands: one module per area, each exposing `commands`; survey/cli.py registers them.

To add an area: write `survey/commands/<area>.py` with `commands = [...]`, import it below and add it to MODULES.
"""

from __future__ import annotations

import click

from . import (
    backup,
    config,
    drafts,
    indices,
    numbers,
    pakn,
    paper,
    points,
    posters,
    province,
    report,
    responses,
    rollups,
    setup,
    tokens,
    users,
    wards,
    worker,
)

#: Every command module; `hailong --help` lists their commands by name.
MODULES = (setup, config, wards, points, posters, responses, indices, report, tokens, backup, users, pakn, paper,
           drafts, numbers, rollups, province, worker)


def all_commands() -> list[click.Command]:
    """Every command of every module, in MODULES order."""
    return [command for module in MODULES for command in module.commands]
