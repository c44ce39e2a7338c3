-- supabase-sync pack, schema step 0014 (pack 3): supabase-sync purge removes
-- access events recorded before its cutoff (sql/functions/purge.sql,
-- docs/protocol.md "Purge"); this index reads them, O(events purged) instead
-- of every event ever recorded. Idempotent; access_event exists since step 0006.
create index if not exists access_event_recorded_at_idx
on supabase_sync.access_event (recorded_at);
