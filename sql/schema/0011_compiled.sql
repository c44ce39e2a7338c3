-- supabase-sync pack, schema step 0011 (pack 3): compiled per-table functions
-- (issue 13, docs/protocol.md "Compiled functions").
--
-- A dynamic statement (`execute` of a built string) is parsed and planned on
-- every call; a static statement of a plpgsql function is planned once per
-- session and its plan reused. So enable (and install, for every registered
-- table) renders, per synced table and purpose ("pull_keys", "pull_page", and
-- whatever a later module adds), a function in schema supabase_sync whose SQL
-- names the table, its columns and its types statically, from a template of
-- sql/templates (supabase_sync.compiled). One row here records each:
--   function_name    the function (its name derives from the table's schema
--                    and name, never an oid, so it survives pg_dump/restore);
--   fingerprint      supabase_sync.compiled_fingerprint(relid) when it was
--                    compiled: the table's name, its registry facts and
--                    supabase_sync.catalog_fingerprint (columns, defaults,
--                    foreign keys);
--   template_digest  the digest of the templates it was rendered from.
-- A call uses a compiled function only while its fingerprint is the table's
-- current one (a DDL change after enable makes it stale: the call takes the
-- generic, dynamic path, and `supabase-sync status` says to run enable again),
-- and install drops those of older templates. Deleting a row (unregistering
-- the table cascades here) drops its function.
create table if not exists supabase_sync.compiled_function (
    relid regclass not null references supabase_sync.synced_table (relid) on delete cascade,
    purpose text not null,
    function_name regprocedure not null,
    fingerprint text not null,
    template_digest text not null,
    compiled_at timestamptz not null default now(),
    primary key (relid, purpose)
);

revoke all on supabase_sync.compiled_function from public, anon, authenticated;
grant select on supabase_sync.compiled_function to authenticated, service_role;

create or replace function supabase_sync.drop_compiled_function()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    -- (a function dropped by hand prints as a number: nothing left to drop)
    if (tg_op = 'DELETE' or old.function_name is distinct from new.function_name)
        and exists (select from pg_catalog.pg_proc as p where p.oid = old.function_name) then
        execute pg_catalog.format('drop function if exists %s', old.function_name);
    end if;
    return null;
end;
$$;

revoke all on function supabase_sync.drop_compiled_function() from public, anon, authenticated;

create or replace trigger drop_compiled_function
after delete or update of function_name on supabase_sync.compiled_function
for each row execute function supabase_sync.drop_compiled_function();
