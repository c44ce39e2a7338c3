-- Reference for the initial pull: every row of the user in one statement.
select jsonb_agg(t) as rows
from public.bench_task as t
where t.user_id = %(user_id)s::uuid
