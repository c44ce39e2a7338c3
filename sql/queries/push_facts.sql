-- What the compiled push of tables is rendered from (supabase_sync.compiled.push):
-- per table of %(oids)s, with its owner column from %(owner_columns)s (the
-- same position: a table enable has not registered yet has no registry row),
-- the columns a push may write in table order as [name, type, default
-- expression ('null' for none)] and its single-column foreign keys. The same
-- facts as supabase_sync.writable_columns and push_foreign_keys (schema step
-- 0008's push facts), read from pg_catalog alone so that install can read them
-- from a database whose pack it is about to upgrade; %(server_columns)s are
-- the server-maintained columns (sync_objects.SYNC_COLUMNS).
select
    t.relid::bigint as table_oid,
    coalesce(
        (
            select
                pg_catalog.jsonb_agg(
                    pg_catalog.jsonb_build_array(
                        a.attname,
                        pg_catalog.format_type(a.atttypid, a.atttypmod),
                        coalesce(
                            case
                                when a.attidentity = 'd'
                                    then pg_catalog.format(
                                        'pg_catalog.nextval(%%L::regclass)',
                                        pg_catalog.pg_get_serial_sequence(t.relid::regclass::text, a.attname)
                                    )
                                else pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                            end,
                            'null'
                        )
                    )
                    order by a.attnum
                )
            from pg_catalog.pg_attribute as a
            left join pg_catalog.pg_attrdef as d on a.attrelid = d.adrelid and a.attnum = d.adnum
            where
                a.attrelid = t.relid
                and a.attnum > 0
                and not a.attisdropped
                and a.attgenerated = ''
                and a.attidentity <> 'a'
                and a.attname <> t.owner_column
                and not a.attname = any(%(server_columns)s::name[])
        ),
        '[]'::jsonb
    ) as columns,
    coalesce(
        (
            select
                pg_catalog.jsonb_agg(
                    pg_catalog.jsonb_build_object(
                        'name', con.conname,
                        'child_column', child.attname,
                        'parent', con.confrelid::oid,
                        'parent_column', parent.attname
                    )
                    order by con.conname
                )
            from pg_catalog.pg_constraint as con
            inner join pg_catalog.pg_attribute as child
                on con.conrelid = child.attrelid and con.conkey[1] = child.attnum
            inner join pg_catalog.pg_attribute as parent
                on con.confrelid = parent.attrelid and con.confkey[1] = parent.attnum
            where con.conrelid = t.relid and con.contype = 'f' and pg_catalog.cardinality(con.conkey) = 1
        ),
        '[]'::jsonb
    ) as foreign_keys
from (
    select
        (%(oids)s::oid[])[g.i] as relid,
        (%(owner_columns)s::name[])[g.i] as owner_column
    from pg_catalog.generate_subscripts(%(oids)s::oid[], 1) as g (i)
) as t;
