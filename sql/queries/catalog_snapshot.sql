-- A comparable picture of everything in the given schemas (oids left out, so two
-- databases compare equal when they hold the same objects): one row per object,
-- kind + name + definition. Used to prove that re-running a plan changes nothing
-- and that a migration file replays to the same catalog as a direct run.
with target_namespace as (
    select
        ns.oid,
        ns.nspname,
        ns.nspacl
    from pg_catalog.pg_namespace as ns
    where ns.nspname = any(%(schemas)s::text[])
),

target_class as (
    select
        c.oid,
        c.relname,
        c.relkind,
        c.relrowsecurity,
        c.relacl,
        tn.nspname
    from pg_catalog.pg_class as c
    inner join target_namespace as tn on c.relnamespace = tn.oid
)

select
    'relation' as kind,
    format('%%I.%%I', tc.nspname, tc.relname) as object_name,
    format('kind=%%s rls=%%s acl=%%s', tc.relkind, tc.relrowsecurity, tc.relacl::text) as definition
from target_class as tc
union all
select
    'column' as kind,
    format('%%I.%%I.%%I', tc.nspname, tc.relname, a.attname) as object_name,
    format(
        '%%s notnull=%%s default=%%s',
        pg_catalog.format_type(a.atttypid, a.atttypmod),
        a.attnotnull,
        pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    ) as definition
from target_class as tc
inner join pg_catalog.pg_attribute as a on tc.oid = a.attrelid
left join pg_catalog.pg_attrdef as d on a.attrelid = d.adrelid and a.attnum = d.adnum
where a.attnum > 0 and not a.attisdropped
union all
select
    'constraint' as kind,
    format('%%I.%%I.%%I', tc.nspname, tc.relname, con.conname) as object_name,
    pg_catalog.pg_get_constraintdef(con.oid) as definition
from target_class as tc
inner join pg_catalog.pg_constraint as con on tc.oid = con.conrelid
union all
select
    'index' as kind,
    format('%%I.%%I', tc.nspname, tc.relname) as object_name,
    pg_catalog.pg_get_indexdef(i.indexrelid) as definition
from target_class as tc
inner join pg_catalog.pg_index as i on tc.oid = i.indexrelid
union all
select
    'policy' as kind,
    format('%%I.%%I.%%I', tc.nspname, tc.relname, pol.polname) as object_name,
    format(
        'cmd=%%s permissive=%%s roles=%%s using=%%s check=%%s',
        pol.polcmd,
        pol.polpermissive,
        pol.polroles::regrole[],
        pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
        pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid)
    ) as definition
from target_class as tc
inner join pg_catalog.pg_policy as pol on tc.oid = pol.polrelid
union all
select
    'trigger' as kind,
    format('%%I.%%I.%%I', tc.nspname, tc.relname, t.tgname) as object_name,
    pg_catalog.pg_get_triggerdef(t.oid) as definition
from target_class as tc
inner join pg_catalog.pg_trigger as t on tc.oid = t.tgrelid
where not t.tgisinternal
union all
select
    'function' as kind,
    format('%%I.%%I(%%s)', tn.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
        as object_name,
    format(
        '%%s acl=%%s config=%%s',
        pg_catalog.pg_get_functiondef(p.oid),
        p.proacl::text,
        p.proconfig::text
    ) as definition
from pg_catalog.pg_proc as p
inner join target_namespace as tn on p.pronamespace = tn.oid
union all
select
    'publication member' as kind,
    format('%%I %%I.%%I', pub.pubname, tc.nspname, tc.relname) as object_name,
    '' as definition
from target_class as tc
inner join pg_catalog.pg_publication_rel as pr on tc.oid = pr.prrelid
inner join pg_catalog.pg_publication as pub on pr.prpubid = pub.oid
union all
select
    'schema' as kind,
    tn.nspname as object_name,
    format(
        'acl=%%s comment=%%s',
        tn.nspacl::text,
        pg_catalog.obj_description(tn.oid, 'pg_namespace')
    ) as definition
from target_namespace as tn
order by kind, object_name, definition;
