-- Records a compiled function of a synced table (schema step 0011) just
-- created by enable or install, with the table's fingerprint now (after every
-- DDL of the same plan) and the digest of the templates it came from. A table
-- compiled again under another name (renamed since) drops its old function
-- (the trigger of compiled_function). Raises 22023 for a table that is not
-- registered. Run by enable and install, as the owner of the functions.
create or replace function supabase_sync.record_compiled_function(
    target regclass,
    purpose text,
    compiled regprocedure,
    template_digest text
)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
    fingerprint text := supabase_sync.compiled_fingerprint(target);
begin
    if fingerprint is null then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: %s is not a synced table', target),
            detail = 'Compiled functions belong to a table registered in supabase_sync.synced_table.',
            hint = 'Run `supabase-sync enable` on the table; it registers it, then compiles its functions.';
    end if;
    insert into supabase_sync.compiled_function as cf (relid, purpose, function_name, fingerprint, template_digest)
    values (target, purpose, compiled, fingerprint, template_digest)
    on conflict on constraint compiled_function_pkey do update
        set
            function_name = excluded.function_name,
            fingerprint = excluded.fingerprint,
            template_digest = excluded.template_digest,
            compiled_at = pg_catalog.now();
end;
$$;

revoke all on function supabase_sync.record_compiled_function(regclass, text, regprocedure, text)
from public, anon, authenticated;

comment on function supabase_sync.record_compiled_function(regclass, text, regprocedure, text) is
'supabase-sync: records a compiled per-table function (enable, install) with the table''s fingerprint now.';
