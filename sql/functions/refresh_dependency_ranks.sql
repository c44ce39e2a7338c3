-- Recomputes supabase_sync.synced_table.dependency_rank from the foreign keys
-- between synced tables: a table ranks after every synced table it references.
-- sync_push writes tables in rank order and deletes in reverse. Self references
-- are ignored (one statement writes them); cycles keep the deepest rank found.
create or replace function supabase_sync.refresh_dependency_ranks()
returns void
language sql
set search_path = ''
as $$
    with recursive edge as (
        select distinct
            fk.conrelid as child,
            fk.confrelid as parent
        from pg_catalog.pg_constraint as fk
        inner join supabase_sync.synced_table as c on fk.conrelid = c.relid
        inner join supabase_sync.synced_table as p on fk.confrelid = p.relid
        where fk.contype = 'f' and fk.conrelid <> fk.confrelid
    ),

    depth (relid, rank, path) as (
        select
            st.relid::oid,
            0,
            array[st.relid::oid]
        from supabase_sync.synced_table as st
        union all
        select
            edge.child,
            depth.rank + 1,
            depth.path || edge.child
        from depth
        inner join edge on depth.relid = edge.parent
        where not edge.child = any(depth.path)
    ),

    ranked as (
        select
            relid,
            max(rank) as rank
        from depth
        group by relid
    )

    update supabase_sync.synced_table as st
    set dependency_rank = ranked.rank
    from ranked
    where st.relid::oid = ranked.relid and st.dependency_rank is distinct from ranked.rank;
$$;

revoke all on function supabase_sync.refresh_dependency_ranks() from public;
