-- supabase-sync pack, schema step 0008 (pack 3): the push reads a row's id from
-- the key named by the table's id column (issue 9): the helpers that merged and
-- canonicalised ids by the key "id" take the id column now; their old
-- signatures go (the function files create the new ones).
drop function if exists supabase_sync.merge_push_rows(jsonb);
drop function if exists supabase_sync.canonical_push_ids(jsonb, text);

-- What a push needs of a synced table's catalog, derived when the table is
-- registered (issue 13) so that no push reads it through format_type,
-- pg_get_expr or the synced_collection view:
--   columns, column_types, column_defaults
--                 the columns a push may write, in table order, with their types
--                 and default expressions ('null' for none; supabase_sync.writable_columns);
--   foreign_keys  its single-column foreign keys, as [{"name", "child_column",
--                 "parent" (oid), "parent_column"}] (supabase_sync.push_foreign_keys);
--   fingerprint   supabase_sync.catalog_fingerprint of the table when they were derived.
-- A push compares the stored fingerprint with the table's current one (three
-- index probes into pg_attribute, pg_attrdef and pg_constraint by the table's
-- oid, whatever the size of the catalog) and, when they differ, has the facts
-- derived afresh and stored (refresh_push_facts) before it builds any SQL: a
-- DDL change after enable (a column added, dropped, retyped, renamed, a
-- default or a foreign key changed) never makes a push apply stale SQL, and
-- only the first push after it pays for the derivation. Every write of the
-- registry (enable) stores them anew too. The facts are put into the push's
-- SQL text: a row's content is always derived by the trigger below, never
-- taken from what a statement writes, so the API role (which stores them
-- anew after a DDL change) can put nothing of its own into them.
create table if not exists supabase_sync.push_facts (
    relid regclass primary key references supabase_sync.synced_table (relid) on delete cascade,
    columns name[] not null,
    column_types text[] not null,
    column_defaults text[] not null,
    foreign_keys jsonb not null,
    fingerprint text not null
);

revoke all on supabase_sync.push_facts from public, anon, authenticated;
grant select, insert, update on supabase_sync.push_facts to authenticated;
grant all on supabase_sync.push_facts to service_role;

-- The parts of a table's catalog the push facts are derived from: each column
-- (number, name, type, dropped, generated, identity, has a default), the oids
-- of its defaults (a SET DEFAULT makes a new one) and each foreign key (its
-- oid, and the name of the parent column it references). Three index probes by
-- the table's oid, whatever the size of the catalog; plpgsql, so the plans are
-- cached for the session (a sql function with its own search_path is planned
-- on every call).
create or replace function supabase_sync.catalog_fingerprint(target regclass)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
    return pg_catalog.concat_ws(
        '|',
        (
            select pg_catalog.string_agg(
                pg_catalog.concat_ws(
                    ',', a.attnum, a.attname, a.atttypid, a.atttypmod, a.attisdropped, a.attgenerated,
                    a.attidentity, a.atthasdef
                ),
                ';' order by a.attnum
            )
            from pg_catalog.pg_attribute as a
            where a.attrelid = target and a.attnum > 0
        ),
        (
            select pg_catalog.array_agg(d.oid order by d.oid)::text
            from pg_catalog.pg_attrdef as d
            where d.adrelid = target
        ),
        (
            select pg_catalog.string_agg(pg_catalog.concat_ws(',', con.oid, parent.attname), ';' order by con.oid)
            from pg_catalog.pg_constraint as con
            left join pg_catalog.pg_attribute as parent
                on con.confrelid = parent.attrelid and con.confkey[1] = parent.attnum
            where con.conrelid = target and con.contype = 'f'
        )
    );
end;
$$;

revoke all on function supabase_sync.catalog_fingerprint(regclass) from public, anon;
grant execute on function supabase_sync.catalog_fingerprint(regclass) to authenticated;

-- The single-column foreign keys of a table (push_upserts checks each parent
-- that is a synced table as the caller, issue 11.3). The parent is kept as an
-- oid: cast to regclass when the push runs, it prints the parent's current name.
create or replace function supabase_sync.push_foreign_keys(target regclass)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select coalesce(
        pg_catalog.jsonb_agg(
            pg_catalog.jsonb_build_object(
                'name', con.conname,
                'child_column', child.attname,
                'parent', con.confrelid::oid,
                'parent_column', parent.attname
            )
            order by con.conname
        ),
        '[]'::jsonb
    )
    from pg_catalog.pg_constraint as con
    inner join pg_catalog.pg_attribute as child
        on con.conrelid = child.attrelid and con.conkey[1] = child.attnum
    inner join pg_catalog.pg_attribute as parent
        on con.confrelid = parent.attrelid and con.confkey[1] = parent.attnum
    where
        con.conrelid = target
        and con.contype = 'f'
        and pg_catalog.cardinality(con.conkey) = 1;
$$;

revoke all on function supabase_sync.push_foreign_keys(regclass) from public, anon;
grant execute on function supabase_sync.push_foreign_keys(regclass) to authenticated;

-- Derives a push_facts row from the catalog whatever was written into it: a
-- row's content is always supabase_sync's own derivation for its relid (a
-- registered table, by the foreign key), so the API role may insert and update
-- rows (a push that finds the facts of its table stale stores them anew)
-- without being able to put anything into them. An update that would change
-- nothing writes nothing.
create or replace function supabase_sync.derive_push_facts()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    select
        coalesce(pg_catalog.array_agg(w.column_name order by w.n), '{}'),
        coalesce(pg_catalog.array_agg(w.column_type order by w.n), '{}'),
        coalesce(pg_catalog.array_agg(coalesce(w.default_expr, 'null') order by w.n), '{}')
    into new.columns, new.column_types, new.column_defaults
    from supabase_sync.writable_columns(new.relid) with ordinality as w (column_name, column_type, default_expr, n);
    new.foreign_keys := supabase_sync.push_foreign_keys(new.relid);
    new.fingerprint := supabase_sync.catalog_fingerprint(new.relid);
    if tg_op = 'UPDATE' and new is not distinct from old then
        return null;
    end if;
    return new;
end;
$$;

revoke all on function supabase_sync.derive_push_facts() from public, anon;

create or replace trigger derive_push_facts
before insert or update on supabase_sync.push_facts
for each row execute function supabase_sync.derive_push_facts();

-- (Re)derives the push facts of one registered table (a push that found them
-- stale), or of all (target null: every write of the registry; the registry
-- holds the synced tables only, so refreshing all keeps a fact that depends on
-- another table's registration right). Two pushes that find the same stale
-- row: the second waits for the first to commit, then writes nothing.
create or replace function supabase_sync.refresh_push_facts(target regclass default null)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
    insert into supabase_sync.push_facts as pf (relid)
    select st.relid
    from supabase_sync.synced_table as st
    where target is null or st.relid = target
    on conflict (relid) do update set relid = excluded.relid;
end;
$$;

revoke all on function supabase_sync.refresh_push_facts(regclass) from public, anon;
grant execute on function supabase_sync.refresh_push_facts(regclass) to authenticated;

create or replace function supabase_sync.push_facts_trigger()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    perform supabase_sync.refresh_push_facts();
    return null;
end;
$$;

revoke all on function supabase_sync.push_facts_trigger() from public, anon, authenticated;

-- Statement level: it fires for every registration statement, also one that
-- changes no row (enable re-run on an unchanged table), so `enable` again after
-- a DDL change stores fresh facts. Updates of the horizon or the dependency
-- ranks (purge, truncate, refresh_dependency_ranks) do not fire it.
create or replace trigger push_facts
after insert or update of relid, owner_column, id_column, kind, scope, scope_column, members
on supabase_sync.synced_table
for each statement execute function supabase_sync.push_facts_trigger();

-- Tables registered by an earlier pack (pack 1 and 2 have writable_columns).
select supabase_sync.refresh_push_facts()
where exists (select from supabase_sync.synced_table);
