-- Removes what sync no longer needs once every client has had time to pull it
-- (docs/protocol.md "Purge"): tombstones and soft-deleted rows whose last
-- server write is older than `older_than`, access events (grants, revokes,
-- moves) recorded as long ago, and push_log rows as old.
--
-- Invariant: a pull or push never misses what it must deliver; a cursor that
-- relied on something purged answers PT410 (full resync) instead. Pulls report
-- deletions through tombstones and soft-deleted rows, and access changes
-- through access events read at or above the cursor (pull_keys), so each
-- table's retention horizon moves past the newest version purged that its
-- pulls read:
--   tombstones, soft-deleted rows   of that table;
--   gained and lost events          of its scope row's table (a scope table
--                                   and each scoped table of it, the
--                                   membership table included: a grant
--                                   delivers rows of all of them);
--   moved events                    of rows of that table.
-- Tables nothing was purged for keep their horizon. A cursor at or above every
-- horizon of its tables was answered after everything purged had happened, so
-- its device already applied it: what a lost scope row's deletion list no
-- longer names (tombstones and moves out of it older than the horizon) left
-- that device's replica when it was delivered.
-- Cases: supabase_sync.purging = 'on' keeps the hard deletes from writing new
-- tombstones. A soft-deleted row still referenced by a foreign key (from any
-- table) is kept, so a purge never fails on, or cascades into, live rows.
-- Tables are purged children first. `dry_run` runs the very same statements and
-- rolls them back, so the report says what a real run would remove.
-- Cost: one set-based delete per kind (and per synced table for its rows):
-- tombstones, soft-deleted rows and the push log are read whole, access
-- events through access_event_recorded_at_idx (schema step 0014), O(purged).
-- For the project owner or service_role (supabase-sync purge), not for API users.
create or replace function supabase_sync.purge(older_than interval, dry_run boolean default false)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
    cutoff timestamptz;
    tbl record;
    fk_guard text;
    purged bigint;
    newest xid8;
    newest_tombstones jsonb;
    tombstones bigint;
    push_logs bigint;
    access_events bigint;
    newest_grants jsonb;
    newest_moves jsonb;
    rows_purged jsonb := '{}'::jsonb;
    horizon xid8;
    horizons jsonb := '{}'::jsonb;
    report jsonb;
begin
    if older_than is null or older_than <= interval '0' then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: purge: older_than must be a positive interval, not %s', older_than),
            hint = 'Keep deletions for longer than your clients stay offline, e.g. interval ''30 days''.';
    end if;
    cutoff := pg_catalog.now() - older_than;

    begin
        perform pg_catalog.set_config('supabase_sync.purging', 'on', true);

        with gone as (
            delete from supabase_sync.tombstone as tb
            where tb.deleted_at < cutoff
            returning tb.relid, tb.version
        ),

        per_table as (
            select gone.relid, pg_catalog.count(*) as n, pg_catalog.max(gone.version) as newest
            from gone
            group by gone.relid
        )

        select
            coalesce(pg_catalog.sum(per_table.n), 0),
            coalesce(pg_catalog.jsonb_object_agg(per_table.relid::oid::text, per_table.newest::text), '{}')
        into tombstones, newest_tombstones
        from per_table;

        -- Access events: gained and lost ones count for every table of their
        -- scope, moved ones for the table of the moved row.
        with gone as (
            delete from supabase_sync.access_event as ae
            where ae.recorded_at < cutoff
            returning ae.event, ae.scope, ae.relid, ae.version
        ),

        per_kind as (
            select
                gone.event = 'moved' as moved,
                case when gone.event = 'moved' then gone.relid else gone.scope end as relid,
                pg_catalog.count(*) as n,
                pg_catalog.max(gone.version) as newest
            from gone
            group by 1, 2
        )

        select
            coalesce(pg_catalog.sum(per_kind.n), 0),
            coalesce(
                pg_catalog.jsonb_object_agg(per_kind.relid::oid::text, per_kind.newest::text)
                filter (where not per_kind.moved),
                '{}'
            ),
            coalesce(
                pg_catalog.jsonb_object_agg(per_kind.relid::oid::text, per_kind.newest::text)
                filter (where per_kind.moved),
                '{}'
            )
        into access_events, newest_grants, newest_moves
        from per_kind;

        for tbl in
            select
                sc.relid,
                sc.collection,
                sc.id_column,
                case sc.kind when 'scope' then sc.relid when 'scoped' then sc.scope end as scope
            from supabase_sync.synced_collection as sc
            order by sc.dependency_rank desc, sc.collection
        loop
            select pg_catalog.string_agg(
                pg_catalog.format(
                    ' and not exists (select from %s as c where %s)',
                    fk.conrelid::regclass,
                    (
                        select pg_catalog.string_agg(
                            pg_catalog.format('c.%I = t.%I', child.attname, parent.attname), ' and '
                        )
                        from rows from (pg_catalog.unnest(fk.conkey), pg_catalog.unnest(fk.confkey)) as k (child_num, parent_num)
                        inner join pg_catalog.pg_attribute as child
                            on child.attrelid = fk.conrelid and child.attnum = k.child_num
                        inner join pg_catalog.pg_attribute as parent
                            on parent.attrelid = fk.confrelid and parent.attnum = k.parent_num
                    )
                ),
                ''
            ) into fk_guard
            from pg_catalog.pg_constraint as fk
            where fk.contype = 'f' and fk.confrelid = tbl.relid;

            execute pg_catalog.format(
                'with gone as (delete from %s as t'
                ' where t.deleted_at is not null and t.server_updated_at < $1%s'
                ' returning t.server_version)'
                ' select pg_catalog.count(*), pg_catalog.max(gone.server_version) from gone',
                tbl.relid, coalesce(fk_guard, '')
            ) into purged, newest using cutoff;
            rows_purged := rows_purged || pg_catalog.jsonb_build_object(tbl.collection, purged);
            newest := greatest(
                newest,
                (newest_tombstones ->> tbl.relid::oid::text)::xid8,
                (newest_grants ->> tbl.scope::oid::text)::xid8,
                (newest_moves ->> tbl.relid::oid::text)::xid8
            );
            if newest is not null then
                update supabase_sync.synced_table as st
                set horizon = ((newest::text::bigint) + 1)::text::xid8
                where st.relid = tbl.relid and st.horizon <= newest;
            end if;
            select st.horizon into horizon
            from supabase_sync.synced_table as st
            where st.relid = tbl.relid;
            horizons := horizons || pg_catalog.jsonb_build_object(tbl.collection, horizon::text::bigint);
        end loop;

        with gone as (
            delete from supabase_sync.push_log as pl
            where pl.pushed_at < cutoff
            returning 1
        )

        select pg_catalog.count(*) into push_logs
        from gone;

        select coalesce(pg_catalog.max(st.horizon), '0'::xid8) into horizon
        from supabase_sync.synced_table as st;

        perform pg_catalog.set_config('supabase_sync.purging', '', true);
        report := pg_catalog.jsonb_build_object(
            'older_than', older_than::text,
            'cutoff', cutoff,
            'dry_run', dry_run,
            'tombstones', tombstones,
            'rows', rows_purged,
            'push_log', push_logs,
            'access_events', access_events,
            'retention_horizon', horizon::text::bigint,
            'horizons', horizons
        );
        if dry_run then
            -- Undo everything above; the report survives in a variable.
            raise exception using errcode = 'PTDRY', message = 'supabase_sync: purge dry run';
        end if;
    exception
        when sqlstate 'PTDRY' then
            return report;
    end;
    return report;
end;
$$;

revoke all on function supabase_sync.purge(interval, boolean) from public, anon, authenticated;
grant execute on function supabase_sync.purge(interval, boolean) to service_role;

comment on function supabase_sync.purge(interval, boolean) is
'supabase-sync: deletes tombstones, soft-deleted rows, access events and push log entries older than an interval; moves the tables'' retention horizons.';
