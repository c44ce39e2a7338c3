-- pgbench, 32 pullers: sync_pull from the client's cursor, after which exactly
-- 10 of its user's rows changed. Prefixed by request.sql.
select public.sync_pull(last_pulled_at => c.cursor, collections => array['public.bench_task'])
from bench_load.client as c
where c.number = :client_id + 1;
commit;
