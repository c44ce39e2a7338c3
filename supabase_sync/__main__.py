"""``python -m supabase_sync`` runs the command line."""

from supabase_sync.cli import main

if __name__ == "__main__":
    main()
