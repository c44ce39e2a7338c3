"""docs/clients.md cannot drift: the files, commands and adapter options it names exist."""

from __future__ import annotations

import re

from node_runner import REPO_ROOT

from supabase_sync.cli import cli

DOC = (REPO_ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
ADAPTER = (REPO_ROOT / "clients" / "watermelondb" / "index.js").read_text(encoding="utf-8")


def test_every_repository_path_the_page_names_exists():
    paths = set(re.findall(r"`((?:tests|clients|docs|supabase_sync)/[\w./-]+)`", DOC))
    assert paths, "docs/clients.md names no files"
    missing = sorted(path for path in paths if not (REPO_ROOT / path).exists())
    assert not missing, missing


def test_every_command_the_page_runs_exists():
    commands = set(re.findall(r"(?:^|`)supabase-sync ([a-z-]+)", DOC, re.M))
    assert {"object-store", "storage-policies"} <= commands
    assert commands <= set(cli.commands), commands - set(cli.commands)


def test_the_adapter_options_the_page_documents_are_the_adapter_s():
    signature = re.search(r"export function createSupabaseSync \(\{(.*?)\}\) \{", ADAPTER, re.S)
    assert signature, "createSupabaseSync's options not found"
    options = {part.split("=")[0].strip() for part in signature.group(1).split(",")}
    for option in ("tables", "timestamps", "pageSize", "maxAttempts"):
        assert option in options and f"`{option}" in DOC, option
