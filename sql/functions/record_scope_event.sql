-- AFTER UPDATE OR DELETE trigger (for each row) of a scope table. Arguments:
-- its id column and its owner column.
--   owner column changed: the old owner lost the scope row, the new one gained
--     it. Through the API (a signed-in user) only the old owner or an admin
--     member may give a scope row away: an editor may edit the row, not take
--     it (42501; a policy cannot compare old and new values).
--   row deleted: its owner lost it (the membership rows go with it by their
--     foreign key, and their own trigger records each member's loss).
--   deleted_at set (a soft delete): through the API only by the owner or an
--     admin member (42501 otherwise), as for a delete.
create or replace function supabase_sync.record_scope_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    scope regclass := tg_relid::regclass;
    old_row jsonb := pg_catalog.to_jsonb(old);
    new_row jsonb;
    scope_id text := old_row ->> tg_argv[0];
    old_owner uuid := (old_row ->> tg_argv[1])::uuid;
    new_owner uuid;
    deleting boolean;
    moving boolean;
begin
    if tg_op = 'DELETE' then
        if old_owner is not null then
            insert into supabase_sync.access_event (event, scope, scope_id, user_id)
            values ('lost', scope, scope_id, old_owner);
        end if;
        return null;
    end if;
    new_row := pg_catalog.to_jsonb(new);
    new_owner := (new_row ->> tg_argv[1])::uuid;
    -- Setting deleted_at deletes the scope row for every device (it is how sync_push deletes).
    deleting := old_row ->> 'deleted_at' is null and new_row ->> 'deleted_at' is not null;
    moving := old_owner is distinct from new_owner or scope_id is distinct from new_row ->> tg_argv[0];
    if not deleting and not moving then
        return null;
    end if;
    -- Server code (service_role, or no user at all) may delete or move a scope row; a user only
    -- their own or as an admin member.
    if auth.uid() is not null
        and auth.role() is distinct from 'service_role'
        and old_owner is distinct from auth.uid()
        and supabase_sync.scope_role(scope, scope_id) is distinct from 'admin' then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format(
                'supabase_sync: %s row %s cannot be %s', scope, scope_id,
                case when moving then 'given away' else 'deleted' end
            ),
            detail = case when moving
                then 'Only the owner or an admin member changes the owner of a shared row.'
                else 'Only the owner or an admin member deletes a shared row (setting deleted_at deletes it).'
            end,
            hint = case when moving
                then 'Ask the owner, or an admin member, to transfer it.'
                else 'Ask the owner, or an admin member, to delete it.'
            end;
    end if;
    if not moving then
        return null;
    end if;
    if old_owner is not null then
        insert into supabase_sync.access_event (event, scope, scope_id, user_id)
        values ('lost', scope, scope_id, old_owner);
    end if;
    if new_owner is not null then
        insert into supabase_sync.access_event (event, scope, scope_id, user_id)
        values ('gained', scope, new_row ->> tg_argv[0], new_owner);
    end if;
    return null;
end;
$$;

revoke all on function supabase_sync.record_scope_event() from public;

comment on function supabase_sync.record_scope_event() is
'supabase-sync: records scope ownership changes and deletes in supabase_sync.access_event.';
