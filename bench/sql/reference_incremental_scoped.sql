-- Reference for the incremental pull of a scoped table: the hand-written,
-- indexed query a developer would write for the same changed rows (primary
-- key lookups, kept to the projects the user owns or is a member of).
select jsonb_agg(t) as rows
from public.bench_shared_task as t
where
    t.id = any(%(ids)s::uuid [])
    and t.project_id in (
        select p.id from public.bench_project as p where p.user_id = %(user_id)s::uuid
        union all
        select m.bench_project_id from public.bench_project_member as m where m.user_id = %(user_id)s::uuid
    )
