-- supabase-sync pack, schema step 0005: what keeps one user from interfering
-- with another (issue 11, docs/protocol.md "Threat model").

-- Bounds of a push, checked by supabase_sync.check_push_shape before any
-- per-row or per-key work (in this order):
--   max_push_bytes   binary jsonb size of a whole push (8 MiB)
--   max_row_bytes    binary jsonb size of one row (1 MiB)
--   max_row_keys     keys of one row (2000)
--   max_id_bytes     bytes of one id (512; a tombstone key must fit a btree entry)
--   max_clock_skew   how far a client's updated_at may be ahead of the server
--                    clock for lww (an interval); a later value is rejected
--   big_numbers      pack-wide default for int8/numeric in pulls: number | string
insert into supabase_sync.meta (key, value) values
('max_push_bytes', '8388608'),
('max_row_bytes', '1048576'),
('max_row_keys', '2000'),
('max_id_bytes', '512'),
('max_clock_skew', '5 minutes'),
('big_numbers', 'number')
on conflict (key) do nothing;

-- A digest of the payload a push_id answered, so a reuse of the push_id with a
-- different payload is an error instead of a silent drop. Null for rows logged
-- before this step (they are answered as before).
alter table supabase_sync.push_log add column if not exists payload_digest text;

-- Per table: how change notifications reach clients (broadcast | postgres_changes
-- | off) and how int8/numeric go out in pulls (null: meta big_numbers).
alter table supabase_sync.synced_table add column if not exists realtime text not null default 'postgres_changes';
alter table supabase_sync.synced_table add column if not exists big_numbers text;

alter table supabase_sync.synced_table drop constraint if exists synced_table_realtime_check;
alter table supabase_sync.synced_table add constraint synced_table_realtime_check
check (realtime in ('broadcast', 'postgres_changes', 'off'));
alter table supabase_sync.synced_table drop constraint if exists synced_table_big_numbers_check;
alter table supabase_sync.synced_table add constraint synced_table_big_numbers_check
check (big_numbers in ('number', 'string'));

-- Broadcast (synced_table.realtime = 'broadcast') sends to private topics
-- `supabase_sync:<user uuid>`: a signed-in user may receive its own topic
-- only. Created where Supabase Realtime is installed and the installer may.
do $$
begin
    if pg_catalog.to_regclass('realtime.messages') is null then
        return;
    end if;
    if not exists (
        select from pg_catalog.pg_policy
        where
            polrelid = pg_catalog.to_regclass('realtime.messages')
            and polname = 'supabase_sync: users receive their own topic'
    ) then
        execute 'create policy "supabase_sync: users receive their own topic" on realtime.messages'
        || ' for select to authenticated'
        || ' using (realtime.topic() = ''supabase_sync:'' || (select auth.uid())::text)';
    end if;
exception
    when insufficient_privilege then
        raise notice 'supabase_sync: cannot add the realtime.messages policy for broadcast topics: %', sqlerrm;
end
$$;
