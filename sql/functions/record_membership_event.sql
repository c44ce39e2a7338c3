-- AFTER INSERT OR UPDATE OR DELETE trigger (for each row) of a membership table:
-- records in supabase_sync.access_event that a user gained or lost a scope row.
-- Arguments: the scope table (regclass text), the membership table's column
-- referencing it, and its user column. A role change (viewer -> editor) changes
-- what the member may write, not what they see: no event. Moving a membership
-- row to another user or scope row is a loss plus a gain. A soft-deleted
-- membership row (deleted_at set: how sync_push deletes) grants nothing: setting
-- deleted_at is a loss, clearing it a gain (supabase_sync.visible_scopes and
-- the other readers of membership tables skip such rows too).
create or replace function supabase_sync.record_membership_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    scope regclass := tg_argv[0]::regclass;
    old_scope text;
    old_user uuid;
    new_scope text;
    new_user uuid;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.deleted_at is null then
        old_scope := pg_catalog.to_jsonb(old) ->> tg_argv[1];
        old_user := (pg_catalog.to_jsonb(old) ->> tg_argv[2])::uuid;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.deleted_at is null then
        new_scope := pg_catalog.to_jsonb(new) ->> tg_argv[1];
        new_user := (pg_catalog.to_jsonb(new) ->> tg_argv[2])::uuid;
    end if;
    if (old_scope, old_user) is not distinct from (new_scope, new_user) then
        return null;
    end if;
    if old_scope is not null and old_user is not null then
        insert into supabase_sync.access_event (event, scope, scope_id, user_id)
        values ('lost', scope, old_scope, old_user);
    end if;
    if new_scope is not null and new_user is not null then
        insert into supabase_sync.access_event (event, scope, scope_id, user_id)
        values ('gained', scope, new_scope, new_user);
    end if;
    return null;
end;
$$;

revoke all on function supabase_sync.record_membership_event() from public;

comment on function supabase_sync.record_membership_event() is
'supabase-sync: records membership grants and revokes in supabase_sync.access_event.';
