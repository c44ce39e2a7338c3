-- The registry row of one table (no row: not enabled).
select
    owner_column::text as owner_column,
    id_column::text as id_column,
    conflict_strategy,
    dependency_rank
from supabase_sync.synced_table
where relid = %(oid)s::oid;
