-- supabase-sync verify: the synced tables, parents before children.
select
    sc.relid::oid as relid,
    sc.collection,
    sc.schema_name::text as schema_name,
    sc.table_name::text as table_name,
    sc.owner_column::text as owner_column,
    sc.id_column::text as id_column,
    sc.id_type,
    sc.conflict_strategy,
    sc.dependency_rank
from supabase_sync.synced_collection as sc
order by sc.dependency_rank, sc.collection;
