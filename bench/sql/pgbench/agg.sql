-- pgbench, the pull reference: the hand-written query for the same 10 rows
-- (jsonb_agg by user and primary keys). Prefixed by request.sql.
select jsonb_agg(t)
from public.bench_task as t, bench_load.client as c
where c.number = :client_id + 1 and t.user_id = c.user_id and t.id = any(c.changed);
commit;
