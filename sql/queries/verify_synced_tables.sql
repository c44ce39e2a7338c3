-- supabase-sync verify: the synced tables, parents before children, with how
-- each is shared (read through to_jsonb: a registry without the sharing columns
-- reads as owner tables). member_column is set on membership tables only.
select
    sc.relid::oid as relid,
    sc.collection,
    sc.schema_name::text as schema_name,
    sc.table_name::text as table_name,
    sc.owner_column::text as owner_column,
    sc.id_column::text as id_column,
    sc.id_type,
    sc.conflict_strategy,
    sc.dependency_rank,
    coalesce(to_jsonb(st) ->> 'kind', 'owner') as kind,
    (to_jsonb(st) ->> 'scope')::regclass::oid as scope_relid,
    to_jsonb(st) ->> 'scope_column' as scope_column,
    to_jsonb(st) ->> 'scope_through' as scope_through,
    (
        select to_jsonb(s) ->> 'member_column'
        from supabase_sync.synced_table as s
        where (to_jsonb(s) ->> 'members')::regclass = sc.relid
    ) as member_column
from supabase_sync.synced_collection as sc
inner join supabase_sync.synced_table as st on sc.relid = st.relid
order by sc.dependency_rank, sc.collection;
