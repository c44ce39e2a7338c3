"""Benchmarks of supabase-sync: ``python -m bench [--quick]`` (see bench/README.md)."""
