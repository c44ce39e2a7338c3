"""Rendering SQL: every statement a plan runs, built from the ``sql/`` templates.

- :mod:`supabase_sync.render.templates`: loading ``sql/policies`` and
  ``sql/templates`` and filling their placeholders (identifiers quoted, values
  as literals, dollar quotes no argument can end);
- :mod:`supabase_sync.render.pack`: the steps of install and uninstall;
- :mod:`supabase_sync.render.table`: the per-table statements of enable,
  disable and rls.

Every statement rendered is idempotent: replayed on a database that has it
already, it changes nothing.
"""
