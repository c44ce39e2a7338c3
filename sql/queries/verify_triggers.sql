-- supabase-sync verify: the user triggers of one table (parameter: relid).
-- enabled is 'O' (origin), 'A' (always), 'R' (replica only) or 'D' (disabled).
select
    t.tgname::text as name,
    t.tgenabled::text as enabled,
    pg_catalog.pg_get_triggerdef(t.oid) as definition
from pg_catalog.pg_trigger as t
where t.tgrelid = %(relid)s and not t.tgisinternal
order by t.tgname;
