-- supabase-sync verify: the columns of one table (parameter: relid), with what
-- synthetic row generation needs: base type after domains, enum labels, length
-- limits, NOT NULL, defaults, identity and generated columns.
select
    a.attname::text as name,
    format_type(a.atttypid, a.atttypmod) as type_sql,
    base.typname::text as base_type,
    base.typtype::text as base_kind,
    base.typcategory::text as category,
    case
        when base.typtype = 'e'
            then array(
                select e.enumlabel::text
                from pg_catalog.pg_enum as e
                where e.enumtypid = base.oid
                order by e.enumsortorder
            )
    end as enum_labels,
    case
        when
            base.typname in ('varchar', 'bpchar')
            and coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1)) > 4
            then coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1)) - 4
    end as max_length,
    a.attnotnull or (t.typtype = 'd' and t.typnotnull) as not_null,
    a.atthasdef or (t.typtype = 'd' and t.typdefault is not null) as has_default,
    a.attidentity <> '' as is_identity,
    a.attgenerated <> '' as is_generated
from pg_catalog.pg_attribute as a
inner join pg_catalog.pg_type as t on a.atttypid = t.oid
inner join pg_catalog.pg_type as base
    on base.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
where a.attrelid = %(relid)s and a.attnum > 0 and not a.attisdropped
order by a.attnum;
