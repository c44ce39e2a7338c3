-- Trigger of tables synced with `enable --realtime broadcast` (issue 11.15):
-- tells the owner's devices that a row changed, through Supabase Realtime
-- Broadcast from the database (realtime.send) on the owner's private topic
-- `supabase_sync:<owner uuid>`. The message carries only the table and the row
-- id (`{"table": "public.task", "id": "…"}`, event insert/update/delete): the
-- device then pulls, under RLS. Unlike Postgres Changes, whose DELETE events
-- skip RLS and reach every subscriber, nothing reaches another user (private
-- topics are authorised by the policy on realtime.messages, schema step 0005).
-- A row moved to another owner notifies both. Without Supabase Realtime
-- (no realtime.send) it does nothing.
-- Arguments: id column, owner column. SECURITY DEFINER (owner of the pack):
-- API users may not write realtime.messages themselves.
create or replace function supabase_sync.broadcast_change()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    id_column text := tg_argv[0];
    owner_column text := tg_argv[1];
    old_doc jsonb := case when tg_op in ('UPDATE', 'DELETE') then pg_catalog.to_jsonb(old) end;
    new_doc jsonb := case when tg_op in ('INSERT', 'UPDATE') then pg_catalog.to_jsonb(new) end;
    doc jsonb := coalesce(new_doc, old_doc);
    payload jsonb;
    recipient text;
begin
    if pg_catalog.to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
        return null;
    end if;
    payload := pg_catalog.jsonb_build_object(
        'table', pg_catalog.format('%I.%I', tg_table_schema, tg_table_name),
        'id', doc -> id_column
    );
    for recipient in
        select distinct r.owner_id
        from (values (new_doc ->> owner_column), (old_doc ->> owner_column)) as r (owner_id)
        where r.owner_id is not null
    loop
        execute 'select realtime.send($1, $2, $3, true)'
        using payload, pg_catalog.lower(tg_op), 'supabase_sync:' || recipient;
    end loop;
    return null;
end;
$$;

revoke all on function supabase_sync.broadcast_change() from public, anon, authenticated;

comment on function supabase_sync.broadcast_change() is
'supabase-sync: notifies the row owner''s private Realtime topic of a change (table and id only).';
