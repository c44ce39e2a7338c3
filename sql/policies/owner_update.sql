-- Lets a signed-in user update only their own rows, and not give them away.
-- Created unless a policy of that name exists. Placeholders: {table},
-- {owner_column}, {policy_name} (identifiers), {table_name}, {policy_name_text} (literals).
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
        using ((select auth.uid()) = {owner_column})
        with check ((select auth.uid()) = {owner_column});
    end if;
end
$supabase_sync$;
