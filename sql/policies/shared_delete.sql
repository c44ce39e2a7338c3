-- Lets a signed-in user delete rows of a shared table (scope, scoped or membership
-- table) as their scope role allows. Created unless a policy of that name exists.
-- Placeholders: {table}, {policy_name} (identifiers), {table_name},
-- {policy_name_text}, {scope_name}, {role} (literals), {column} (identifier: the
-- scope id, the id of a scope table), {id_type} (its type), {owner_clause}
-- (empty, or `(select auth.uid()) = owner or ` on a scope table, whose owner
-- always has access). visible_scopes runs once per statement and its ids are cast
-- there once, inside the (select ...) (an initplan): a cast outside it, `(select ...)::uuid[]`,
-- ran for every row (500 rows of a user seeing 20,000 scope rows: 8 s); an
-- array(select unnest(...)) instead let unnest's row estimate run visible_scopes while planning.
-- The outer cast adds nothing (same type): it makes `any(...)` read an array, not a subquery.
do $supabase_sync$
begin
    if not exists (
        select from pg_catalog.pg_policy
        where polrelid = {table_name}::regclass and polname = {policy_name_text}
    ) then
        create policy {policy_name}
        on {table}
        for delete
        to authenticated
        using (
            {owner_clause}{column} = any(
                (select supabase_sync.visible_scopes({scope_name}::regclass, {role})::{id_type}[])::{id_type}[]
            )
        );
    end if;
end
$supabase_sync$;
