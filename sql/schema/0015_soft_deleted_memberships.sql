-- supabase-sync pack, schema step 0015 (pack 3): a soft-deleted membership row
-- grants nothing.
--
-- sync_push deletes a row by setting its deleted_at; before this pack a
-- membership row deleted that way still counted (visible_scopes, the policies,
-- the pull), so a member removed by a client kept reading and writing the
-- scope row. The pack's readers of membership tables now skip such rows, and
-- the membership trigger records setting deleted_at as a loss. For the rows
-- soft-deleted before it, this step records that loss once, so the members'
-- devices delete what they hold of the scope row on their next pull (a user
-- who still owns the scope row, or is still a member through another row,
-- loses nothing: the pull checks visibility when it reads a loss). It reads
-- the membership tables the registry names, by identifiers from the registry.
do $$
declare
    sharing record;
begin
    for sharing in
        select st.relid as scope, st.members, st.member_column, st.member_scope_column
        from supabase_sync.synced_table as st
        where st.kind = 'scope' and st.members is not null
        order by st.relid
    loop
        execute pg_catalog.format(
            'insert into supabase_sync.access_event (event, scope, scope_id, user_id)'
            ' select distinct ''lost'', %1$L::regclass, m.%2$I::text, m.%3$I'
            ' from %4$s as m where m.deleted_at is not null and m.%3$I is not null',
            sharing.scope, sharing.member_scope_column, sharing.member_column, sharing.members
        );
    end loop;
end
$$;
