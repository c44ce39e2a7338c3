"""Renders the CLI reference (``docs/cli.md``) from the commands' own ``--help``.

``python -m supabase_sync.cli.reference > docs/cli.md`` regenerates it; a test
fails when the file and the commands disagree, so the docs cannot drift.
"""

from __future__ import annotations

import click

from supabase_sync.cli import cli

_WIDTH = 100
_HEADER = """# CLI reference

Generated from the commands' `--help` by `python -m supabase_sync.cli.reference > docs/cli.md`;
do not edit by hand (a test compares them).
"""


def _help_text(command: click.Command, parent: click.Context | None, name: str) -> str:
    context = command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=_WIDTH, max_content_width=_WIDTH
    )
    return command.get_help(context)


def render_reference() -> str:
    """Return the markdown CLI reference: the group's help, then every command's."""
    root = cli.make_context(
        "supabase-sync", [], resilient_parsing=True, terminal_width=_WIDTH, max_content_width=_WIDTH
    )
    sections = [_HEADER, "## supabase-sync\n", "```\n" + cli.get_help(root) + "\n```\n"]
    for name in sorted(cli.commands):
        command = cli.commands[name]
        if command.hidden:
            continue
        sections.append(f"## supabase-sync {name}\n")
        sections.append("```\n" + _help_text(command, root, name) + "\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":
    click.echo(render_reference(), nl=False)
