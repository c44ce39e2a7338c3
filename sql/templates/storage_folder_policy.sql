-- Lets a signed-in user {command_text} only the objects of one bucket whose path
-- starts with their own user id ("<user id>/photos/a.jpg"): the owner-folder
-- pattern of Supabase Storage. Created unless a policy of that name exists.
-- Placeholders: {command} (a SQL keyword), {policy_name} (identifier),
-- {policy_name_text}, {command_text} (literals), {clauses} (the policy's
-- USING and/or WITH CHECK clauses, each testing {bucket} and the folder).
do $supabase_sync$
begin
    if not exists (
        select from pg_catalog.pg_policy
        where polrelid = 'storage.objects'::regclass and polname = {policy_name_text}
    ) then
        create policy {policy_name}
        on storage.objects
        for {command}
        to authenticated
        {clauses};
    end if;
end
$supabase_sync$;
