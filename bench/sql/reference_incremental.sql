-- Reference for the incremental pull: the hand-written, indexed query a
-- developer would write for the same changed rows (primary key lookups).
select jsonb_agg(t) as rows
from public.bench_task as t
where t.user_id = %(user_id)s::uuid and t.id = any(%(ids)s::uuid [])
