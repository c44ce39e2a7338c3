-- Reference for pushing created rows: a bare bulk insert of the same rows
-- into the same table (same triggers, same RLS), no validation, no conflicts.
insert into public.bench_task (
    id, user_id, title, notes, priority, done, created_at, updated_at, deleted_at
)
select
    r.id, r.user_id, r.title, r.notes, r.priority, r.done,
    r.created_at, r.updated_at, r.deleted_at
from jsonb_populate_recordset(null::public.bench_task, %(rows)s::jsonb) as r
