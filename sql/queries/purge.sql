-- supabase-sync purge: one call of the pack's purge function (it does the work
-- and, for a dry run, rolls its own changes back). Parameters: older_than
-- (interval), dry_run (boolean).
select supabase_sync.purge(older_than => %(older_than)s::interval, dry_run => %(dry_run)s::boolean) as report
