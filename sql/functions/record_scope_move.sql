-- AFTER UPDATE OF <scope column> trigger (for each row, WHEN the value changed)
-- of a scoped table: records that the row left one scope row for another, so
-- the pull tells the users of the old scope row who cannot see the new one that
-- it is gone. Arguments: the scope table (regclass text), the scope column,
-- the id column. Rows that stay in their scope never reach this function (the
-- trigger's WHEN clause), so ordinary updates cost nothing here.
create or replace function supabase_sync.record_scope_move()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    old_row jsonb := pg_catalog.to_jsonb(old);
    new_row jsonb := pg_catalog.to_jsonb(new);
begin
    if old_row ->> tg_argv[1] is null then
        return null;
    end if;
    insert into supabase_sync.access_event (event, scope, scope_id, relid, row_id, to_scope_id)
    values (
        'moved', tg_argv[0]::regclass, old_row ->> tg_argv[1], tg_relid::regclass,
        old_row ->> tg_argv[2], new_row ->> tg_argv[1]
    );
    return null;
end;
$$;

revoke all on function supabase_sync.record_scope_move() from public;

comment on function supabase_sync.record_scope_move() is
'supabase-sync: records rows moved between scope rows in supabase_sync.access_event.';
