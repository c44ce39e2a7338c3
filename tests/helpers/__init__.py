"""Helpers shared by the test suites (import them as ``from helpers.<module> import ...``).

- :mod:`helpers.projects`: Supabase project folders built from the example plus fixture migrations;
- :mod:`helpers.protocol`: a device of one user talking to the sync RPCs;
- :mod:`helpers.contract`: what status, lint and verify each say about a table.
"""
