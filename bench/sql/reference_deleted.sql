-- Reference for a pull of fresh deletions: the ids of the user's tombstones of
-- the table since a version, read through the tombstone index (as the owner
-- would; the API role may read its own tombstones).
select array_agg(tb.row_id) as ids
from supabase_sync.tombstone as tb
where
    tb.relid = 'public.bench_task'::regclass
    and tb.owner_id = %(user_id)s::uuid
    and tb.version >= %(since)s::xid8
