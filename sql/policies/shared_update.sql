-- Lets a signed-in user change rows of a shared table (scope, scoped or membership
-- table) as their scope role allows. Created unless a policy of that name exists.
-- Placeholders: {table}, {policy_name} (identifiers), {table_name},
-- {policy_name_text}, {scope_name}, {role} (literals), {column} (identifier: the
-- scope id, the id of a scope table), {id_type} (its type), {owner_clause}
-- (empty, or `(select auth.uid()) = owner or ` on a scope table, whose owner
-- always has access). visible_scopes in array(select ...) runs once per statement, its ids cast
-- there once (a cast outside the subquery, `(select ...)::uuid[]`, ran for every row:
-- 500 rows of a user seeing 20,000 scope rows took 8 s).
do $supabase_sync$
begin
    if not exists (
        select from pg_catalog.pg_policy
        where polrelid = {table_name}::regclass and polname = {policy_name_text}
    ) then
        create policy {policy_name}
        on {table}
        for update
        to authenticated
        using (
            {owner_clause}{column} = any(
                array(select pg_catalog.unnest(supabase_sync.visible_scopes({scope_name}::regclass, {role}))::{id_type})
            )
        )
        with check (
            {owner_clause}{column} = any(
                array(select pg_catalog.unnest(supabase_sync.visible_scopes({scope_name}::regclass, {role}))::{id_type})
            )
        );
    end if;
end
$supabase_sync$;
