-- The signed-in user's role on one scope row: 'owner', 'admin', 'editor',
-- 'viewer', or null (no access, no such row, no user, not a scope table; one
-- answer for all of them, so the role reveals nothing about rows the caller
-- cannot see). The strongest wins when a user is both owner and member.
-- SECURITY DEFINER for the reason given in supabase_sync.visible_scopes.
create or replace function supabase_sync.scope_role(scope regclass, scope_id text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    uid uuid := auth.uid();
    reg record;
    found_role text;
begin
    if uid is null or scope_id is null then
        return null;
    end if;
    select st.owner_column, st.id_column, sc.id_type, st.members, st.member_column, st.member_scope_column into reg
    from supabase_sync.synced_table as st
    inner join supabase_sync.synced_collection as sc on st.relid = sc.relid
    where st.relid = scope_role.scope and st.kind = 'scope';
    if not found then
        return null;
    end if;
    execute pg_catalog.format(
        'select case'
        ' when exists (select from %1$s as s where s.%2$I = $2::%7$s and s.%3$I = $1) then ''owner'''
        ' else (select m.role from %4$s as m where m.%5$I = $2::%7$s and m.%6$I = $1 and m.deleted_at is null'
        ' order by pg_catalog.array_position(array[''admin'', ''editor'', ''viewer''], m.role) limit 1)'
        ' end',
        scope_role.scope, reg.id_column, reg.owner_column,
        reg.members, reg.member_scope_column, reg.member_column, reg.id_type
    ) into found_role using uid, scope_id;
    return found_role;
exception
    when invalid_text_representation then
        -- A malformed id names no row.
        return null;
end;
$$;

revoke all on function supabase_sync.scope_role(regclass, text) from public, anon;
grant execute on function supabase_sync.scope_role(regclass, text) to authenticated, service_role;

comment on function supabase_sync.scope_role(regclass, text) is
'supabase-sync: the signed-in user''s role (owner, admin, editor, viewer or null) on one scope row.';
