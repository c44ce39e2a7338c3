-- BEFORE INSERT OR UPDATE trigger (for each row) of a table below a scoped table
-- (doc_updates -> task -> project): keeps its own scope column equal to its
-- parent's, so its rows are reached, pulled and moved like the parent's without
-- a join. Arguments: the parent table (regclass text), the parent's key column,
-- this table's column referencing it, this table's scope column, the parent's
-- scope column. A row whose parent does not exist (or is not visible) keeps the
-- value it was given; the foreign key and the policies then judge it.
-- Cost: one primary-key probe of the parent per row written: the key is
-- compared as the parent key's own type (the text of this row's value cast to
-- it), never as the parent's key cast to text, which no index serves.
create or replace function supabase_sync.inherit_scope()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
    parent_key text := pg_catalog.to_jsonb(new) ->> tg_argv[2];
    parent_scope text;
begin
    if parent_key is null then
        return new;
    end if;
    execute pg_catalog.format(
        'select p.%1$I::text from %2$s as p where p.%3$I = $1::%4$s',
        tg_argv[4], tg_argv[0]::regclass, tg_argv[1], supabase_sync.column_type(tg_argv[0]::regclass, tg_argv[1])
    ) into parent_scope using parent_key;
    if parent_scope is not null then
        new := pg_catalog.jsonb_populate_record(new, pg_catalog.jsonb_build_object(tg_argv[3], parent_scope));
    end if;
    return new;
end;
$$;

revoke all on function supabase_sync.inherit_scope() from public;

comment on function supabase_sync.inherit_scope() is
'supabase-sync: keeps the scope column of a row equal to its parent''s (tables below a scoped table).';

-- AFTER UPDATE OF <scope column> trigger (for each row, WHEN it changed) of a
-- scoped parent: moves the child rows with it (their own scope_move triggers
-- record the moves). Arguments: the child table (regclass text), its column
-- referencing the parent, its scope column, the parent's key column and scope
-- column. SECURITY DEFINER: the move of the parent was authorized (policies,
-- sync_push); its children follow whoever wrote them. Cost: the children, found
-- through an index on the child's column (compared as that column's type).
create or replace function supabase_sync.move_scope_children()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    execute pg_catalog.format(
        'update %1$s as c set %3$I = $1::text::%6$s'
        ' where c.%2$I = $2::text::%7$s and c.%3$I is distinct from $1::text::%6$s',
        tg_argv[0]::regclass, tg_argv[1], tg_argv[2], tg_argv[3], tg_argv[4],
        supabase_sync.column_type(tg_argv[0]::regclass, tg_argv[2]),
        supabase_sync.column_type(tg_argv[0]::regclass, tg_argv[1])
    ) using pg_catalog.to_jsonb(new) ->> tg_argv[4], pg_catalog.to_jsonb(new) ->> tg_argv[3];
    return null;
end;
$$;

revoke all on function supabase_sync.move_scope_children() from public;

comment on function supabase_sync.move_scope_children() is
'supabase-sync: moves the rows of a table below a scoped table with their parent.';
