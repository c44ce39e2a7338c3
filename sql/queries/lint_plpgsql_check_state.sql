-- Whether the plpgsql_check extension can be created on this server, and the
-- schema it is created in for this database (null when it is not created).
select
    exists(
        select from pg_catalog.pg_available_extensions
        where name = 'plpgsql_check'
    ) as available,
    (
        select n.nspname
        from pg_catalog.pg_extension as e
        inner join pg_catalog.pg_namespace as n on e.extnamespace = n.oid
        where e.extname = 'plpgsql_check'
    ) as installed_schema;
