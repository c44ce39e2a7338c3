-- Which rows of a synced table the caller's pull reads, as SQL text over the
-- alias t with $1 the caller (the uid supabase_sync.pull_keys binds), in
-- agreement with the generated select policies (docs/protocol.md "Sharing"):
--   owner table   the owner column is the caller;
--   scope table   the caller owns the row, or is a member of it;
--   scoped table  its scope column names a scope the caller sees (membership
--                 tables included: they are scoped tables of their scope).
-- The scope ids come from supabase_sync.visible_scopes in a (select ...), cast
-- inside it: once per statement (a cast outside the subquery would run per row;
-- an array(select unnest(...)) would run visible_scopes while planning, for
-- unnest's row estimate). The outer cast is a no-op that makes any(...) read
-- an array rather than a subquery. With `from_lower` a scoped table's filter also bounds
-- server_version from below ($2, the lower position's version) so its (scope
-- column, server_version) index serves the range: the cost follows the changes,
-- not the scopes' rows. (supabase_sync.pull_keys reads a shared table's changed
-- rows per scope row or membership instead, one ordered range each: this
-- filter, an `= any(...)` or an `or`, cannot be read in position order.)
-- Every name comes from the registry, quoted with %I / %L.
-- The rows of a scope gained since the cursor, and the ids of a scope lost
-- or a row moved away, come from the access events (supabase_sync.pull_keys).
create or replace function supabase_sync.read_filter(target regclass, from_lower boolean)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    reg record;
    member_of text[];
begin
    select st.kind, st.owner_column, st.id_column, st.scope, st.scope_column, st.members, st.member_column,
        st.member_scope_column
    into reg
    from supabase_sync.synced_table as st
    where st.relid = target;
    if reg.kind = 'scope' then
        -- The caller's memberships (a few rows, by the membership table's user
        -- index) are read now and written into the filter as a constant: with
        -- none, the filter is the owner's and the position index serves it in
        -- order (an `or` would make the planner sort all the owner's rows).
        execute pg_catalog.format(
            'select pg_catalog.array_agg(m.%1$I::text) from %2$s as m where m.%3$I = auth.uid() and m.deleted_at is null',
            reg.member_scope_column, reg.members, reg.member_column
        ) into member_of;
        if member_of is null then
            return pg_catalog.format('t.%I = $1', reg.owner_column);
        end if;
        return pg_catalog.format(
            '(t.%1$I = $1 or t.%2$I = any(%3$L::%4$s[]))',
            reg.owner_column, reg.id_column, member_of, supabase_sync.column_type(target, reg.id_column)
        );
    elsif reg.kind = 'scoped' then
        return pg_catalog.format(
            '(t.%1$I = any((select supabase_sync.visible_scopes(%2$L::regclass)::%3$s[])::%3$s[])%4$s)',
            reg.scope_column, reg.scope::text, supabase_sync.column_type(target, reg.scope_column),
            case when from_lower then ' and t.server_version >= $2' else '' end
        );
    end if;
    return pg_catalog.format('t.%I = $1', reg.owner_column);
end;
$$;

revoke all on function supabase_sync.read_filter(regclass, boolean) from public, anon;
grant execute on function supabase_sync.read_filter(regclass, boolean) to authenticated;

comment on function supabase_sync.read_filter(regclass, boolean) is
'supabase-sync: the condition (SQL over alias t, $1 the caller) on the rows a pull of the table reads.';
