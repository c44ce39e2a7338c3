-- Soft-deletes the caller's rows among a push's deleted ids of one table
-- (deleted_at = now() unless already set; the row stays so other devices learn
-- of the delete). Ids of rows the caller does not own, or that do not exist,
-- are ignored, like WatermelonDB's "delete of a missing record" (which rows
-- the caller may write: supabase_sync.write_filter). Conflicts were
-- checked (and the rows locked) by supabase_sync.push_upserts.
-- Returns {"deleted": n (own rows among the ids), "ignored": n (the other ids)}.
create or replace function supabase_sync.push_deletes(target regclass, delete_ids text[])
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
    tbl record;
    own_rows bigint;
    distinct_ids bigint;
begin
    select sc.id_column, sc.id_type, sc.owner_column into tbl
    from supabase_sync.synced_table as sc
    where sc.relid = target;

    execute pg_catalog.format(
        'with own as ('
        'select t.%1$I as id, t.deleted_at from %2$s as t'
        ' where t.%1$I = any($1::%3$s[]) and %4$s),'
        ' written as ('
        'update %2$s as t set deleted_at = pg_catalog.now() from own'
        ' where t.%1$I = own.id and own.deleted_at is null returning 1)'
        ' select (select pg_catalog.count(*) from own),'
        ' (select pg_catalog.count(distinct d.id) from pg_catalog.unnest($1::%3$s[]) as d (id))',
        tbl.id_column, target, tbl.id_type, supabase_sync.write_filter(target, 'delete')
    ) into own_rows, distinct_ids using delete_ids;

    return pg_catalog.jsonb_build_object('deleted', own_rows, 'ignored', distinct_ids - own_rows);
end;
$$;

revoke all on function supabase_sync.push_deletes(regclass, text[]) from public, anon;
grant execute on function supabase_sync.push_deletes(regclass, text[]) to authenticated;

comment on function supabase_sync.push_deletes(regclass, text[]) is
'supabase-sync: soft-deletes the caller''s rows among a push''s deleted ids of one table.';
