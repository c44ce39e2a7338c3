-- supabase-sync pack, schema step 0002: who may read what.
-- The RPC functions are SECURITY INVOKER, so the API role needs to read the
-- registry and settings, and its own tombstones and push log rows.
revoke all on schema supabase_sync from public;
grant usage on schema supabase_sync to authenticated, service_role;

revoke all on all tables in schema supabase_sync from public, anon, authenticated;
grant select on supabase_sync.meta, supabase_sync.synced_table to authenticated;
grant select on supabase_sync.tombstone to authenticated;
grant select, insert on supabase_sync.push_log to authenticated;
grant all on all tables in schema supabase_sync to service_role;

alter table supabase_sync.tombstone enable row level security;
alter table supabase_sync.push_log enable row level security;

create policy "supabase_sync: owner reads own tombstones"
on supabase_sync.tombstone
for select
to authenticated
using ((select auth.uid()) = owner_id);

create policy "supabase_sync: owner reads own pushes"
on supabase_sync.push_log
for select
to authenticated
using ((select auth.uid()) = user_id);

create policy "supabase_sync: owner records own pushes"
on supabase_sync.push_log
for insert
to authenticated
with check ((select auth.uid()) = user_id);
