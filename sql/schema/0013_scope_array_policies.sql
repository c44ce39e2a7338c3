-- supabase-sync pack, schema step 0013 (pack 3): the shared policies cast the
-- caller's scope ids once per statement, not once per row.
--
-- Policies written by enable before this pack compared the scope column with
-- `(select supabase_sync.visible_scopes(...))::<id type>[]`: the subquery runs
-- once (an initplan), but the cast of its text[] answer sits outside it and
-- PostgreSQL evaluates it for every row the policy checks. For a user who sees
-- 20,000 scope rows a pull page of 500 rows cast 10 million ids (8 s, past
-- Supabase's statement timeout). enable now writes
-- `(select supabase_sync.visible_scopes(...)::<id type>[])::<id type>[]`
-- (sql/policies/shared_*.sql): the same ids, cast inside the initplan (the
-- outer cast is a no-op that makes any(...) read an array, not a subquery).
-- This step rewrites, in place (ALTER POLICY: same name, roles and command),
-- every policy of a registered scope or scoped table whose condition has the
-- old form; a policy without it is left as it is. Idempotent: the rewritten
-- form no longer matches. Fresh installs register no table before it: nothing.
do $$
declare
    found_policy record;
    old_form constant text := '\(\( SELECT (supabase_sync\.visible_scopes\([^()]*\)) AS visible_scopes\)\)::([a-z0-9_."]+( [a-z0-9_."]+)*)\[\]';
    new_form constant text := '((SELECT \1::\2[])::\2[])';
    using_clause text;
    check_clause text;
begin
    for found_policy in
        select
            pol.polname,
            pol.polrelid::regclass as relid,
            pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) as qual,
            pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) as with_check
        from pg_catalog.pg_policy as pol
        inner join supabase_sync.synced_table as st on pol.polrelid = st.relid
        where st.kind in ('scope', 'scoped')
        order by pol.polrelid, pol.polname
    loop
        using_clause := '';
        check_clause := '';
        if found_policy.qual ~ old_form then
            using_clause := pg_catalog.format(
                ' using (%s)', pg_catalog.regexp_replace(found_policy.qual, old_form, new_form, 'g')
            );
        end if;
        if found_policy.with_check ~ old_form then
            check_clause := pg_catalog.format(
                ' with check (%s)', pg_catalog.regexp_replace(found_policy.with_check, old_form, new_form, 'g')
            );
        end if;
        if using_clause <> '' or check_clause <> '' then
            execute pg_catalog.format(
                'alter policy %I on %s', found_policy.polname, found_policy.relid
            ) || using_clause || check_clause;
        end if;
    end loop;
end
$$;
