-- The ids (as text) of the rows of scope table `scope` the signed-in user may
-- reach with at least role `at_least`: the rows they own (the owner has every
-- right) and the rows whose membership table holds them with a role of that
-- rank (viewer < editor < admin); a soft-deleted membership row (deleted_at
-- set, how sync_push deletes) counts as gone. Empty for a request without a user, or for a
-- table that is not a registered scope table.
--
-- Used by the generated policies of scope, scoped and membership tables as
--   id_or_scope_column = any ((select supabase_sync.visible_scopes(...))::<id type>[])
-- The (select ...) makes it an initplan: it runs once per statement, not once
-- per row (Supabase's RLS performance guidance), and the comparison with a
-- constant array lets the (scope column, server_version) index serve it.
--
-- SECURITY DEFINER because the membership table's own select policy calls it:
-- read as the invoker, the membership table would recurse into its policy. It
-- reads only the registry and the two tables the registry names, by
-- identifiers from the registry (format %I), never from its arguments: a caller
-- learns nothing beyond their own scopes. Its owner must own (or bypass RLS on)
-- the scope and membership tables, as the role that runs install and enable does.
-- Cost: the caller's owned rows (the owner-leading index) plus their membership
-- rows (the (member column) index enable creates).
create or replace function supabase_sync.visible_scopes(scope regclass, at_least text default 'viewer')
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    uid uuid := auth.uid();
    reg record;
    roles text[];
    ids text[];
begin
    roles := case at_least
        when 'viewer' then array['viewer', 'editor', 'admin']
        when 'editor' then array['editor', 'admin']
        when 'admin' then array['admin']
    end;
    if roles is null then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: visible_scopes: unknown role %L', at_least),
            hint = 'Use viewer, editor or admin.';
    end if;
    if uid is null then
        return '{}'::text[];
    end if;
    select st.owner_column, st.id_column, st.members, st.member_column, st.member_scope_column into reg
    from supabase_sync.synced_table as st
    where st.relid = visible_scopes.scope and st.kind = 'scope';
    if not found then
        return '{}'::text[];
    end if;
    execute pg_catalog.format(
        'select coalesce(pg_catalog.array_agg(distinct v.id), ''{}'') from ('
        'select s.%1$I::text as id from %2$s as s where s.%3$I = $1'
        ' union all '
        'select m.%4$I::text from %5$s as m where m.%6$I = $1 and m.role = any($2) and m.deleted_at is null'
        ') as v',
        reg.id_column, visible_scopes.scope, reg.owner_column,
        reg.member_scope_column, reg.members, reg.member_column
    ) into ids using uid, roles;
    return ids;
end;
$$;

revoke all on function supabase_sync.visible_scopes(regclass, text) from public, anon;
grant execute on function supabase_sync.visible_scopes(regclass, text) to authenticated, service_role;

comment on function supabase_sync.visible_scopes(regclass, text) is
'supabase-sync: ids of the scope rows the signed-in user owns or is a member of with at least the given role.';
