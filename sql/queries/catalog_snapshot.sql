-- A comparable picture of everything in the given schemas (oids left out, so two
-- databases compare equal when they hold the same objects): one row per object,
-- kind + name + definition. Used to prove that re-running a plan changes nothing
-- and that a migration file replays to the same catalog as a direct run.
with target_namespace as (
    select
        oid,
        nspname
    from pg_catalog.pg_namespace
    where nspname = any(%(schemas)s::text [])
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
    format('%%I.%%I', nspname, relname) as object_name,
    format('kind=%%s rls=%%s acl=%%s', relkind, relrowsecurity, relacl::text) as definition
from target_class
union all
select
    'column',
    format('%%I.%%I.%%I', tc.nspname, tc.relname, a.attname),
    format(
        '%%s notnull=%%s default=%%s',
        pg_catalog.format_type(a.atttypid, a.atttypmod),
        a.attnotnull,
        pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    )
from target_class as tc
inner join pg_catalog.pg_attribute as a on tc.oid = a.attrelid
left join pg_catalog.pg_attrdef as d on a.attrelid = d.adrelid and a.attnum = d.adnum
where a.attnum > 0 and not a.attisdropped
union all
select
    'constraint',
    format('%%I.%%I.%%I', tc.nspname, tc.relname, con.conname),
    pg_catalog.pg_get_constraintdef(con.oid)
from target_class as tc
inner join pg_catalog.pg_constraint as con on tc.oid = con.conrelid
union all
select
    'index',
    format('%%I.%%I', tc.nspname, tc.relname),
    pg_catalog.pg_get_indexdef(i.indexrelid)
from target_class as tc
inner join pg_catalog.pg_index as i on tc.oid = i.indexrelid
union all
select
    'policy',
    format('%%I.%%I.%%I', tc.nspname, tc.relname, pol.polname),
    format(
        'cmd=%%s permissive=%%s roles=%%s using=%%s check=%%s',
        pol.polcmd,
        pol.polpermissive,
        pol.polroles::regrole [],
        pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
        pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid)
    )
from target_class as tc
inner join pg_catalog.pg_policy as pol on tc.oid = pol.polrelid
union all
select
    'trigger',
    format('%%I.%%I.%%I', tc.nspname, tc.relname, t.tgname),
    pg_catalog.pg_get_triggerdef(t.oid)
from target_class as tc
inner join pg_catalog.pg_trigger as t on tc.oid = t.tgrelid
where not t.tgisinternal
union all
select
    'function',
    format('%%I.%%I(%%s)', tn.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
    format(
        '%%s acl=%%s config=%%s',
        pg_catalog.pg_get_functiondef(p.oid),
        p.proacl::text,
        p.proconfig::text
    )
from pg_catalog.pg_proc as p
inner join target_namespace as tn on p.pronamespace = tn.oid
union all
select
    'publication member',
    format('%%I %%I.%%I', pub.pubname, tc.nspname, tc.relname),
    ''
from target_class as tc
inner join pg_catalog.pg_publication_rel as pr on tc.oid = pr.prrelid
inner join pg_catalog.pg_publication as pub on pr.prpubid = pub.oid
union all
select
    'schema',
    nspname,
    format(
        'acl=%%s comment=%%s',
        (select nspacl::text from pg_catalog.pg_namespace where oid = target_namespace.oid),
        pg_catalog.obj_description(oid, 'pg_namespace')
    )
from target_namespace
order by 1, 2, 3;
