-- supabase-sync pack, schema step 0004 (pack 2): bounded pages, tombstones per
-- owner, per-table retention horizons. See docs/protocol.md "Cursor".
--
-- A row's position is (server_version, bucket) with bucket =
-- hashtextextended(id::text, 0) & 32767: a version (one transaction) splits
-- across pages at bucket boundaries. Nothing here rewrites a user table: the
-- bucket is an index expression, not a stored column.

-- What a pull needs of a synced table, kept in the registry so that no call
-- reads pg_class or pg_attribute: the collection name clients use, the id
-- column's type (for typed primary-key lookups), and the table's retention
-- horizon (a cursor below it answers PT410 for pulls and pushes of this
-- table). describe_synced_table keeps collection and id_type current on every
-- write of the registry row; after `alter table ... rename`, run enable again.
alter table supabase_sync.synced_table
add column if not exists collection text,
add column if not exists id_type text,
add column if not exists horizon xid8 not null default '0';

create or replace function supabase_sync.describe_synced_table()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    select
        pg_catalog.format('%I.%I', n.nspname, c.relname),
        pg_catalog.format_type(a.atttypid, null)
    into new.collection, new.id_type
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    inner join pg_catalog.pg_attribute as a
        on a.attrelid = c.oid and a.attname = new.id_column and a.attnum > 0 and not a.attisdropped
    where c.oid = new.relid;
    return new;
end;
$$;

revoke all on function supabase_sync.describe_synced_table() from public;

create or replace trigger describe_synced_table
before insert or update on supabase_sync.synced_table
for each row execute function supabase_sync.describe_synced_table();

-- Fills collection and id_type of tables registered by pack 1 (the trigger
-- runs), and moves pack 1's database-wide horizon onto every table.
update supabase_sync.synced_table as st
set
    horizon = greatest(
        st.horizon,
        coalesce(
            (
                select meta.value::xid8
                from supabase_sync.meta
                where meta.key = 'retention_horizon'
            ),
            '0'
        )
    );

delete from supabase_sync.meta
where key = 'retention_horizon';

-- Tombstones belong to their owner (issue 11.2): one user's delete of an id
-- never rewrites what another user's devices are told. A tombstone without an
-- owner was never reported to anyone (pulls filter by owner): it goes.
delete from supabase_sync.tombstone
where owner_id is null;

alter table supabase_sync.tombstone
drop constraint tombstone_pkey,
alter column owner_id set not null,
add constraint tombstone_pkey primary key (relid, owner_id, row_id);

drop index if exists supabase_sync.tombstone_owner_version_idx;

create index tombstone_owner_position_idx
on supabase_sync.tombstone (relid, owner_id, version, (pg_catalog.hashtextextended(row_id, 0) & 32767));

-- Pack 1's cursor check (the horizon was one boolean then); its successor
-- takes the collections whose horizons apply.
drop function if exists supabase_sync.check_cursor(bigint, text, boolean);
drop function if exists supabase_sync.pull_page(bigint, text[], uuid, integer, text);
