-- Drops the supabase_sync schema: registry, tombstones, push log, settings.
drop schema if exists supabase_sync cascade;
