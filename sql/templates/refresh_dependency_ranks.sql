-- Recomputes the push order of synced tables from their foreign keys.
select supabase_sync.refresh_dependency_ranks();
