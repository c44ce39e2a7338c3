-- supabase-sync pack, schema step 0009: the registry records where a table
-- below a scoped table takes its scope column from (enable --scope-through).
--
-- doc_updates -> task -> project: doc_updates.project_id is kept equal to its
-- task's by the trigger supabase_sync_inherit_scope (sql/templates/inherit_scope.sql).
--   scope_parent   the scoped table whose scope column it copies (public.task)
--   scope_through  its column referencing that parent (task_id)
-- Both null for every other table, which holds its own scope column (or none).
-- status, lint and verify read them to know the table is one that copies, and
-- check that its copy trigger is there and current.
-- Upgrade-safe: nullable columns, constraints dropped and re-added, and a
-- table an earlier pack enabled below a scoped table is recorded from its
-- existing copy trigger's arguments (parent, parent key, column, ...).
alter table supabase_sync.synced_table
add column if not exists scope_parent regclass,
add column if not exists scope_through name,
drop constraint if exists synced_table_scope_through_check,
add constraint synced_table_scope_through_check check (
    (scope_parent is null) = (scope_through is null) and (scope_parent is null or kind = 'scoped')
);

do $$
declare
    copier record;
    arguments text[];
    rest bytea;
    cut integer;
begin
    for copier in
        select tg.tgrelid, tg.tgargs
        from pg_catalog.pg_trigger as tg
        inner join supabase_sync.synced_table as st on tg.tgrelid = st.relid
        where
            tg.tgname = 'supabase_sync_inherit_scope'
            and not tg.tgisinternal
            and st.kind = 'scoped'
            and st.scope_through is null
    loop
        -- tgargs holds the arguments as NUL-terminated strings in the database encoding.
        arguments := '{}';
        rest := copier.tgargs;
        loop
            -- position() and substring() are SQL syntax, bound to pg_catalog whatever the search_path.
            cut := position('\x00'::bytea in rest);
            exit when cut = 0;
            arguments := arguments || pg_catalog.convert_from(
                substring(rest from 1 for cut - 1), pg_catalog.getdatabaseencoding()
            );
            rest := substring(rest from cut + 1);
        end loop;
        if pg_catalog.cardinality(arguments) = 5 and pg_catalog.to_regclass(arguments[1]) is not null then
            update supabase_sync.synced_table
            set scope_parent = pg_catalog.to_regclass(arguments[1]), scope_through = arguments[3]
            where relid = copier.tgrelid;
        end if;
    end loop;
end
$$;
