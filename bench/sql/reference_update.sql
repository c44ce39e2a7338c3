-- Reference for pushing updated rows: a bare bulk update of the same rows
-- (same triggers, same RLS), without conflict checks.
update public.bench_task as t
set
    title = r.title,
    notes = r.notes,
    priority = r.priority,
    done = r.done,
    updated_at = r.updated_at,
    deleted_at = r.deleted_at
from jsonb_populate_recordset(null::public.bench_task, %(rows)s::jsonb) as r
where t.id = r.id
