-- May this caller write this row? The one answer sync_push uses (push_upserts,
-- push_deletes), in agreement with the generated policies (docs/protocol.md
-- "Sharing"):
--   owner table       the owner column is the caller;
--   scope table       the caller owns the row, or is a member with at least
--                     editor (update) or admin (delete, which is a soft delete);
--   scoped table      the row's scope row reaches the caller with at least editor;
--   membership table  the same with at least admin (owner and admins manage members).
-- write_filter returns that condition as SQL text over the alias t, the caller
-- as `(select auth.uid())` and the scope ids from supabase_sync.visible_scopes
-- in a (select ...): each evaluated once per statement.
-- Every name in it comes from the registry, quoted with %I / %L.
create or replace function supabase_sync.write_filter(target regclass, command text)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    reg record;
    role text;
begin
    select
        st.kind, st.owner_column, st.id_column, st.scope, st.scope_column,
        exists (select from supabase_sync.synced_table as s where s.members = st.relid) as membership
    into reg
    from supabase_sync.synced_table as st
    where st.relid = target;
    if reg.kind = 'scope' then
        role := case when command = 'delete' then 'admin' else 'editor' end;
        return pg_catalog.format(
            '(t.%1$I = (select auth.uid()) or t.%2$I = any((select supabase_sync.visible_scopes(%3$L::regclass, %4$L))::%5$s[]))',
            reg.owner_column, reg.id_column, target::text, role, supabase_sync.column_type(target, reg.id_column)
        );
    elsif reg.kind = 'scoped' then
        role := case when reg.membership then 'admin' else 'editor' end;
        return pg_catalog.format(
            't.%1$I = any((select supabase_sync.visible_scopes(%2$L::regclass, %3$L))::%4$s[])',
            reg.scope_column, reg.scope::text, role, supabase_sync.column_type(target, reg.scope_column)
        );
    end if;
    return pg_catalog.format('t.%I = (select auth.uid())', reg.owner_column);
end;
$$;

revoke all on function supabase_sync.write_filter(regclass, text) from public, anon;
grant execute on function supabase_sync.write_filter(regclass, text) to authenticated;

comment on function supabase_sync.write_filter(regclass, text) is
'supabase-sync: the condition (SQL over alias t) a row meets when the caller may update or delete it.';

-- The type of one column, as format_type prints it (for casts in generated SQL).
create or replace function supabase_sync.column_type(target regclass, column_name name)
returns text
language sql
stable
security invoker
set search_path = ''
as $$
    select pg_catalog.format_type(a.atttypid, a.atttypmod)
    from pg_catalog.pg_attribute as a
    where a.attrelid = target and a.attname = column_name and not a.attisdropped;
$$;

revoke all on function supabase_sync.column_type(regclass, name) from public, anon;
grant execute on function supabase_sync.column_type(regclass, name) to authenticated;

comment on function supabase_sync.column_type(regclass, name) is
'supabase-sync: the type of a column of a synced table, for casts in generated SQL.';

-- Before a push writes a shared (scoped or membership) table: raises 42501 for
-- the first row the caller may not write, naming the table and the id, with
-- the message of an id taken by a row the caller cannot see. That is
--   a created/updated row whose scope column names a scope row the caller may
--     not write (a viewer's, another user's, or one that does not exist: the
--     same answer, so a push learns nothing about scope rows it cannot see),
--     or a new row without its scope column (it would belong to no scope;
--     a table below a scoped table copies it from the parent row instead);
--   a created/updated/deleted id of a row the caller sees (RLS) but whose
--     scope row they may only read (a viewer's writes are refused, not ignored).
-- Ids the caller cannot see at all go on to push_upserts' own checks (42501 for
-- an upsert, ignored for a delete). Cost: one indexed probe per pushed id.
-- Scope tables need no check here: a new scope row is the caller's own, and an
-- existing one the caller may not write is not found by write_filter.
create or replace function supabase_sync.check_writable(
    target regclass,
    upserts jsonb,
    delete_ids text[],
    caller text
)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    reg record;
    scope_type text;
    allowed text[];
    inherited boolean;
    refused text;
begin
    select
        sc.kind, sc.collection, sc.id_column, sc.id_type, sc.scope, sc.scope_column,
        exists (select from supabase_sync.synced_table as s where s.members = sc.relid) as membership
    into reg
    from supabase_sync.synced_table as sc
    where sc.relid = target;
    if reg.kind is distinct from 'scoped' then
        return;
    end if;
    scope_type := supabase_sync.column_type(target, reg.scope_column);
    -- A table below a scoped table gets its scope column from the parent row
    -- (trigger supabase_sync_inherit_scope); its policies then judge the row.
    inherited := exists (
        select from pg_catalog.pg_trigger as tg
        where tg.tgrelid = target and tg.tgname = 'supabase_sync_inherit_scope' and not tg.tgisinternal
    );
    allowed := supabase_sync.visible_scopes(reg.scope, case when reg.membership then 'admin' else 'editor' end);
    execute pg_catalog.format(
        'select coalesce('
        ' (select e.r ->> %1$L from pg_catalog.jsonb_array_elements($1) as e (r)'
        '  where case when e.r ? %2$L'
        '   then (e.r ->> %2$L) is null or (e.r ->> %2$L)::%4$s::text <> all($3)'
        '   else not $4 and not exists (select from %5$s as t where t.%1$I = (e.r ->> %1$L)::%3$s) end'
        '  limit 1),'
        ' (select t.%1$I::text from %5$s as t'
        '  where t.%1$I = any(($2 || array(select e.r ->> %1$L from pg_catalog.jsonb_array_elements($1) as e (r)))::%3$s[])'
        '  and (t.%2$I is null or t.%2$I::text <> all($3))'
        '  order by t.%1$I limit 1))',
        reg.id_column, reg.scope_column, reg.id_type, scope_type, target
    ) into refused using upserts, delete_ids, allowed, inherited;
    if refused is not null then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format('supabase_sync: %s: %s row %s cannot be written', caller, reg.collection, refused),
            detail = 'Only editor and admin members of its scope write a shared row (admins: membership rows);'
                || ' a scope you cannot see is answered like one that does not exist.',
            hint = 'Ask the owner of the scope for the editor role, or write rows of your own scopes.';
    end if;
end;
$$;

revoke all on function supabase_sync.check_writable(regclass, jsonb, text[], text) from public, anon;
grant execute on function supabase_sync.check_writable(regclass, jsonb, text[], text) to authenticated;

comment on function supabase_sync.check_writable(regclass, jsonb, text[], text) is
'supabase-sync: 42501 naming the first row of a push the caller may not write in a shared table.';
