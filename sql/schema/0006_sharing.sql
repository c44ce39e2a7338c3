-- supabase-sync pack, schema step 0006: sharing (DESIGN 3.4, docs/protocol.md "Sharing").
--
-- Every synced table has a kind:
--   owner   its owner column is auth.uid() (the only kind before this step);
--   scope   a table whose rows are shared (public.project): the owner column
--           keeps full access, and `members` names the membership table, whose
--           `member_scope_column` references the scope row and whose
--           `member_column` (a uuid referencing auth.users) names the user;
--   scoped  a table whose rows belong to a scope row (public.task): its
--           `scope_column` holds the id of a row of `scope`. A membership table
--           is itself a scoped table of its scope.
-- A scoped table keeps its owner column: it records who created the row (the
-- push forces it to the caller), not who may see it.
-- Idempotent (if not exists, constraints dropped and re-added) like every step
-- that may meet a database an interrupted upgrade left half-way.
alter table supabase_sync.synced_table
add column if not exists kind text not null default 'owner',
add column if not exists members regclass,
add column if not exists member_column name,
add column if not exists member_scope_column name,
add column if not exists scope regclass,
add column if not exists scope_column name,
drop constraint if exists synced_table_kind_check,
drop constraint if exists synced_table_scope_check,
drop constraint if exists synced_table_scoped_check,
add constraint synced_table_kind_check check (kind in ('owner', 'scope', 'scoped')),
add constraint synced_table_scope_check check (
    (kind = 'scope') = (members is not null and member_column is not null and member_scope_column is not null)
),
add constraint synced_table_scoped_check check (
    (kind = 'scoped') = (scope is not null and scope_column is not null)
);

create index if not exists synced_table_members_idx on supabase_sync.synced_table (members) where members is not null;

-- The registry as clients name it, with the sharing columns appended.
create or replace view supabase_sync.synced_collection
with (security_invoker = true) as
select
    st.relid,
    format('%I.%I', n.nspname, c.relname) as collection,
    n.nspname as schema_name,
    c.relname as table_name,
    st.owner_column,
    st.id_column,
    format_type(a.atttypid, a.atttypmod) as id_type,
    st.conflict_strategy,
    st.dependency_rank,
    st.kind,
    st.scope,
    st.scope_column,
    st.members
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
inner join pg_catalog.pg_attribute as a
    on st.relid = a.attrelid and st.id_column = a.attname;

-- Who gained or lost access to what, and when (the writing transaction's xid8,
-- comparable with server_version and the pull cursor). Written only by the
-- pack's triggers; read by the pull to deliver, in O(events), the rows of a
-- gained scope as created and the ids of a lost scope or a moved row as deleted.
--   event = 'gained'  user_id can see scope row (scope, scope_id) since version
--                     (membership row created or moved to them, ownership given)
--   event = 'lost'    user_id may no longer see it since version (membership
--                     deleted or moved away, ownership taken, scope row deleted)
--   event = 'moved'   row row_id of scoped table relid left scope row scope_id
--                     for to_scope_id (null when the scope column became null)
-- An event says what happened, not what is true now: the pull compares it with
-- the caller's current scopes (supabase_sync.visible_scopes), so a grant
-- revoked again within one cursor window delivers nothing, and a revoke of a
-- user who is still the owner or still a member under another row removes nothing.
create table if not exists supabase_sync.access_event (
    event_id bigint generated always as identity primary key,
    version xid8 not null default pg_current_xact_id(),
    event text not null,
    scope regclass not null,
    scope_id text not null,
    user_id uuid,
    relid regclass,
    row_id text,
    to_scope_id text,
    recorded_at timestamptz not null default now(),
    constraint access_event_event_check check (event in ('gained', 'lost', 'moved')),
    constraint access_event_shape_check check (
        case event
            when 'moved' then user_id is null and relid is not null and row_id is not null
            else user_id is not null and relid is null and row_id is null and to_scope_id is null
        end
    )
);

comment on table supabase_sync.access_event is
'supabase-sync: scope grants, revokes and row moves with their xid8 version, for the pull (docs/protocol.md).';

-- A user's gained and lost scopes since a cursor.
create index if not exists access_event_user_version_idx
on supabase_sync.access_event (user_id, version)
where user_id is not null;

-- The rows moved out of one scope row since a cursor.
create index if not exists access_event_moved_version_idx
on supabase_sync.access_event (scope, scope_id, version)
where event = 'moved';

revoke all on supabase_sync.access_event from public, anon, authenticated;
grant select on supabase_sync.access_event to authenticated;
grant all on supabase_sync.access_event to service_role;

alter table supabase_sync.access_event enable row level security;

-- A user reads their own grants and revokes; moves are read through the pull's
-- owner-side phase (their scope must be checked per scope table).
drop policy if exists "supabase_sync: user reads own access events" on supabase_sync.access_event;

create policy "supabase_sync: user reads own access events"
on supabase_sync.access_event
for select
to authenticated
using ((select auth.uid()) = user_id);
