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
            '(t.%1$I = (select auth.uid()) or t.%2$I = any((select supabase_sync.visible_scopes(%3$L::regclass, %4$L)::%5$s[])::%5$s[]))',
            reg.owner_column, reg.id_column, target::text, role, supabase_sync.column_type(target, reg.id_column)
        );
    elsif reg.kind = 'scoped' then
        role := case when reg.membership then 'admin' else 'editor' end;
        return pg_catalog.format(
            't.%1$I = any((select supabase_sync.visible_scopes(%2$L::regclass, %3$L)::%4$s[])::%4$s[])',
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

-- Before a push writes a shared table: raises 42501 for the first row the
-- caller may not write, naming the table and the id, with one message for
-- every reason (so a push learns nothing about scope rows it cannot see).
-- Invariant: every row this push may go on to write in a shared table is one
-- write_filter and the generated policies let the caller write; a refusal
-- the policies would make (PostgreSQL's own RLS error, which names no row)
-- is made here first, per row. Cases:
--   scope table    an updated or deleted id of a scope row the caller sees
--                  (RLS) but may not write: update needs editor, delete admin
--                  (a viewer is told, not answered "deleted on the server");
--                  a new scope row is the caller's own, an id they cannot see
--                  goes on to push_upserts ("deleted on the server");
--   scoped table   a created/updated row whose scope after the write is not a
--                  scope row the caller may write (a viewer's, another user's,
--                  one that does not exist: the same answer), or that would
--                  have no scope; the scope after the write is the row's scope
--                  column when sent, else the row's current one;
--   below a scoped table (scope_parent, supabase_sync_inherit_scope) the
--                  scope after the write is the parent row's (the trigger
--                  copies it, whatever the row sends), the parent named by the
--                  row or, when not sent, the row's current parent; without
--                  a parent the caller sees (none, or one that does not
--                  exist: one answer for both) the trigger copies nothing, so
--                  the row is judged by its own scope column as above (and
--                  a parent that is not there is then the foreign key
--                  check's 23503);
--   any shared row a created/updated/deleted id of a row the caller sees
--                  whose current scope row they may only read.
-- Ids the caller cannot see at all go on to push_upserts' own checks. Cost:
-- one indexed probe per pushed id (and one of its parent row).
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
    parent record;
    scope_type text;
    allowed text[];
    deletable text[];
    refused text;
    parent_join text := '';
    parent_cases text := '';
begin
    select
        sc.kind, sc.collection, sc.id_column, sc.id_type, sc.scope, sc.scope_column, sc.scope_parent, sc.scope_through,
        exists (select from supabase_sync.synced_table as s where s.members = sc.relid) as membership
    into reg
    from supabase_sync.synced_table as sc
    where sc.relid = target;
    if reg.kind = 'scope' then
        allowed := supabase_sync.visible_scopes(target, 'editor');
        deletable := supabase_sync.visible_scopes(target, 'admin');
        -- (one primary-key probe per id, as for scoped tables below)
        execute pg_catalog.format(
            'select t.%1$I::text'
            ' from (select (e.r ->> %1$L)::%3$s as id, false as deleting from pg_catalog.jsonb_array_elements($1) as e (r)'
            '  union all select d.id::%3$s, true from pg_catalog.unnest($2) as d (id)) as k'
            ' cross join lateral (select t.%1$I from %2$s as t where t.%1$I = k.id offset 0) as t'
            ' where not t.%1$I::text = any(case when k.deleting then $4 else $3 end)'
            ' order by t.%1$I limit 1',
            reg.id_column, target, reg.id_type
        ) into refused using upserts, delete_ids, allowed, deletable;
    elsif reg.kind = 'scoped' then
        scope_type := supabase_sync.column_type(target, reg.scope_column);
        allowed := supabase_sync.visible_scopes(reg.scope, case when reg.membership then 'admin' else 'editor' end);
        if reg.scope_parent is not null then
            -- The parent's key: the column the foreign key references (the trigger's parent key), else its id.
            select
                p.scope_column,
                coalesce(
                    (
                        select pa.attname
                        from pg_catalog.pg_constraint as c
                        inner join pg_catalog.pg_attribute as ca on c.conrelid = ca.attrelid and ca.attnum = c.conkey[1]
                        inner join pg_catalog.pg_attribute as pa on c.confrelid = pa.attrelid and pa.attnum = c.confkey[1]
                        where
                            c.contype = 'f' and c.conrelid = target and c.confrelid = reg.scope_parent
                            and pg_catalog.cardinality(c.conkey) = 1 and ca.attname = reg.scope_through
                        order by c.conname
                        limit 1
                    ),
                    p.id_column
                ) as key_column
            into parent
            from supabase_sync.synced_table as p
            where p.relid = reg.scope_parent;
            parent_join := pg_catalog.format(
                ' left join lateral (select p.%1$I::text as scope from %2$s as p'
                '  where p.%3$I = (case when e.r ? %4$L then e.r ->> %4$L else t.%4$I::text end)::%5$s offset 0) as ps on true',
                parent.scope_column, reg.scope_parent, parent.key_column, reg.scope_through,
                supabase_sync.column_type(reg.scope_parent, parent.key_column)
            );
            parent_cases := ' when ps.scope is not null then ps.scope <> all($3)';
        end if;
        -- Each pushed row read by its primary key, one probe per id: a lateral
        -- subquery kept apart by `offset 0`, so the planner never joins the
        -- ids to a scan of every row the select policy shows the caller (with
        -- statistics of a small table it did, and a push of 10 tasks read all
        -- 20,000 of the caller's projects: tests/protocol/test_shared_push_reads.py).
        execute pg_catalog.format(
            'select coalesce('
            ' (select e.r ->> %1$L from pg_catalog.jsonb_array_elements($1) with ordinality as e (r, n)'
            '  left join lateral (select t.* from %5$s as t where t.%1$I = (e.r ->> %1$L)::%3$s offset 0) as t on true%6$s'
            '  where case%7$s'
            '   when e.r ? %2$L then (e.r ->> %2$L) is null or (e.r ->> %2$L)::%4$s::text <> all($3)'
            '   else t.%2$I is null or t.%2$I::text <> all($3) end'
            '  order by e.n limit 1),'
            ' (select t.%1$I::text'
            '  from pg_catalog.unnest(($2 || array(select e.r ->> %1$L from pg_catalog.jsonb_array_elements($1) as e (r)))::%3$s[])'
            '   as k (id)'
            '  cross join lateral (select t.* from %5$s as t where t.%1$I = k.id offset 0) as t'
            '  where t.%2$I is null or t.%2$I::text <> all($3)'
            '  order by t.%1$I limit 1))',
            reg.id_column, reg.scope_column, reg.id_type, scope_type, target, parent_join, parent_cases
        ) into refused using upserts, delete_ids, allowed;
    end if;
    if refused is not null then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format('supabase_sync: %s: %s row %s cannot be written', caller, reg.collection, refused),
            detail = 'Only editor and admin members of its scope write a shared row (admins: membership rows and'
                || ' deleting the scope row); a scope you cannot see is answered like one that does not exist.',
            hint = 'Ask the owner of the scope for the editor role, or write rows of your own scopes.';
    end if;
end;
$$;

revoke all on function supabase_sync.check_writable(regclass, jsonb, text[], text) from public, anon;
grant execute on function supabase_sync.check_writable(regclass, jsonb, text[], text) to authenticated;

comment on function supabase_sync.check_writable(regclass, jsonb, text[], text) is
'supabase-sync: 42501 naming the first row of a push the caller may not write in a shared table.';
