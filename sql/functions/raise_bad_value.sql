-- The slow path of a push that failed to convert a value: finds the first bad
-- id or column value and raises 22P02 naming the table, the row id and the
-- column. Only runs after the set-based statements failed, so its cost (one
-- statement per column, then per row of the failing column) is paid by bad
-- pushes only. Returns without raising when it finds nothing (the caller then
-- re-raises the original error).
create or replace function supabase_sync.raise_bad_value(
    target regclass,
    upserts jsonb,
    delete_ids text[],
    caller text
)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
    tbl record;
    col record;
    doc jsonb;
    bad_id text;
    reason text;
begin
    select sc.collection, sc.id_column, sc.id_type into tbl
    from supabase_sync.synced_table as sc
    where sc.relid = target;

    foreach bad_id in array coalesce(delete_ids, '{}') loop
        begin
            execute pg_catalog.format('select $1::%s', tbl.id_type) using bad_id;
        exception
            when data_exception then
                get stacked diagnostics reason = message_text;
                raise exception using
                    errcode = '22P02',
                    message = pg_catalog.format(
                        'supabase_sync: %s: %s deleted id %s: %s',
                        caller, tbl.collection, pg_catalog.quote_literal(pg_catalog.left(bad_id, 200)), reason
                    ),
                    hint = pg_catalog.format('Ids of %s are of type %s.', tbl.collection, tbl.id_type);
        end;
    end loop;

    for col in
        select wc.column_name, wc.column_type
        from supabase_sync.writable_columns(target) as wc
        order by wc.column_name <> tbl.id_column
    loop
        begin
            execute pg_catalog.format(
                'select pg_catalog.count(*) from pg_catalog.jsonb_array_elements($1) as e (r)'
                ' cross join lateral pg_catalog.jsonb_to_record(e.r) as p (%I %s)',
                col.column_name, col.column_type
            ) using upserts;
        exception
            when data_exception then
                for doc in
                    select e.r from pg_catalog.jsonb_array_elements(upserts) as e (r)
                    where e.r ? col.column_name
                loop
                    begin
                        execute pg_catalog.format(
                            'select p.%1$I from pg_catalog.jsonb_to_record($1) as p (%1$I %2$s)',
                            col.column_name, col.column_type
                        ) using doc;
                    exception
                        when data_exception then
                            get stacked diagnostics reason = message_text;
                            raise exception using
                                errcode = '22P02',
                                message = pg_catalog.format(
                                    'supabase_sync: %s: %s row %s column %s: %s',
                                    caller, tbl.collection, pg_catalog.left(doc ->> tbl.id_column, 200),
                                    col.column_name, reason
                                ),
                                detail = pg_catalog.format(
                                    'The value sent was %s.', pg_catalog.left((doc -> col.column_name)::text, 200)
                                ),
                                hint = pg_catalog.format(
                                    'Send %s as a JSON value PostgreSQL reads as %s.', col.column_name, col.column_type
                                );
                    end;
                end loop;
        end;
    end loop;
end;
$$;

revoke all on function supabase_sync.raise_bad_value(regclass, jsonb, text[], text) from public, anon;
grant execute on function supabase_sync.raise_bad_value(regclass, jsonb, text[], text) to authenticated;

comment on function supabase_sync.raise_bad_value(regclass, jsonb, text[], text) is
'supabase-sync: names the row id and column of a value a push could not convert (22P02).';
