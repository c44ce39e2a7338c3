-- The installed pack version (no row before the first complete install).
select value
from supabase_sync.meta
where key = 'pack_version';
