-- Reference for one page of a big pull: the hand-written, indexed query for the
-- same rows the page holds (primary key lookups), as one jsonb array.
select jsonb_agg(t) as rows
from public.bench_task as t
where t.user_id = %(user_id)s::uuid and t.id = any(%(ids)s::uuid [])
