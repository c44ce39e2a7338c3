-- The compiled deletes of one owner table's push (issue 13):
-- supabase_sync.push_deletes for this table alone, its statement written out
-- at enable time (plpgsql caches its plan). Called by apply_push, like the
-- compiled push_upserts of the table, only while the table's catalog
-- fingerprint is the one it was compiled for, with the table's `deleted`
-- entries (ids, or rows keyed by the id column). Soft-deletes the caller's rows
-- among them (deleted_at = now() unless already set); ids of rows the caller
-- does not own, or that do not exist, are ignored. Conflicts were checked and
-- the rows locked by the table's push_upserts, which ran first.
-- Returns {"deleted": n, "ignored": n}, as push_deletes.
-- Plans: always generic (plan_cache_mode; why: docs/protocol.md "Compiled functions").
-- Placeholders: {compiled_function}, {table}, {id_column}, {id_key}, {id_type}, {owner_column}.
create or replace function {compiled_function}(deleted jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
as $supabase_sync$
declare
    uid uuid := auth.uid();
    delete_ids text[];
    own_rows bigint;
    distinct_ids bigint;
begin
    select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> {id_key}, d.value #>> '{{}}')), '{{}}')
    into delete_ids
    from pg_catalog.jsonb_array_elements(deleted) as d (value);

    with own as (
        select t.{id_column} as id, t.deleted_at
        from {table} as t
        where t.{id_column} in (select k.id from pg_catalog.unnest(delete_ids::{id_type}[]) as k (id)) and t.{owner_column} = uid
    ),

    written as (
        update {table} as t set deleted_at = pg_catalog.now()
        from own
        where t.{id_column} = own.id and own.deleted_at is null
        returning 1
    )

    select
        (select pg_catalog.count(*) from own),
        (select pg_catalog.count(distinct d.id) from pg_catalog.unnest(delete_ids::{id_type}[]) as d (id))
    into own_rows, distinct_ids;

    return pg_catalog.jsonb_build_object('deleted', own_rows, 'ignored', distinct_ids - own_rows);
end;
$supabase_sync$;

revoke all on function {compiled_function}(
    jsonb
) from public, anon;
grant execute on function {compiled_function}(
    jsonb
) to authenticated;
