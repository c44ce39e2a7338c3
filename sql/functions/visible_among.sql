-- Which of `ids` (scope rows of scope table `scope`, as text) the signed-in
-- user may see now: those they own or are a member of (any role), as
-- supabase_sync.visible_scopes(scope) would list them. The pull's key phase
-- asks it about the scope rows of the caller's access events since the cursor.
-- Cost: two primary-key or index probes per id (the scope table's id, the
-- membership table's scope column), so O(ids) whatever the number of scope
-- rows the user sees (visible_scopes is O(those)). Empty without a user or for
-- a table that is not a registered scope table. The `offset 0` inside each
-- `exists` keeps it a correlated probe: without it the planner may turn an
-- `exists ... or exists ...` into hashed subplans, each reading every scope
-- row the user owns or every membership of the user (seen: 18,650 rows read
-- to answer about 1,350 ids).
-- Only supabase_sync.pull_keys calls it: it runs with that function's rights
-- (the table owner), and no API role may call it (EXECUTE revoked). Every
-- name comes from the registry (format %I), never from an argument.
create or replace function supabase_sync.visible_among(scope regclass, ids text[])
returns text[]
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    uid uuid := auth.uid();
    reg record;
    visible_ids text[];
begin
    if uid is null or ids is null then
        return '{}'::text[];
    end if;
    select st.owner_column, st.id_column, st.id_type, st.members, st.member_column, st.member_scope_column into reg
    from supabase_sync.synced_table as st
    where st.relid = visible_among.scope and st.kind = 'scope';
    if not found then
        return '{}'::text[];
    end if;
    execute pg_catalog.format(
        'select coalesce(pg_catalog.array_agg(x.id), ''{}'') from pg_catalog.unnest($2) as x (id)'
        ' where exists (select from %1$s as s where s.%2$I = x.id::%3$s and s.%4$I = $1 offset 0)'
        ' or exists (select from %5$s as m where m.%6$I = x.id::%3$s and m.%7$I = $1 and m.deleted_at is null offset 0)',
        visible_among.scope, reg.id_column, reg.id_type, reg.owner_column,
        reg.members, reg.member_scope_column, reg.member_column
    ) into visible_ids using uid, ids;
    return visible_ids;
end;
$$;

revoke all on function supabase_sync.visible_among(regclass, text[]) from public, anon, authenticated;

comment on function supabase_sync.visible_among(regclass, text[]) is
'supabase-sync: which of the given scope row ids the signed-in user owns or is a member of.';
