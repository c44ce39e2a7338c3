-- Server-side data generation: one INSERT ... SELECT generate_series, run in
-- its own transaction by the caller, so every batch gets its own xid and the
-- rows of one user come from several transactions (as in real use, where a
-- single transaction's rows are never split across pull pages).
-- Runs as the table owner with the triggers on: stamp_row sets server_version,
-- server_created_version and the server timestamps exactly as in production.
-- Parameters (psycopg): users uuid[] (row n goes to users[1 + n mod cardinality]),
-- first bigint, row_count bigint. Modulo is doubled for psycopg.
insert into public.bench_task (
    user_id, title, notes, priority, done, created_at, updated_at
)
select
    (%(users)s::uuid [])[1 + (n %% cardinality(%(users)s::uuid []))],
    'task ' || n,
    'notes ' || md5(n::text) || ' ' || md5((n + 1)::text),
    (n %% 5)::integer,
    n %% 3 = 0,
    now() - make_interval(secs => n),
    now() - make_interval(secs => n / 2)
from generate_series(%(first)s::bigint, %(first)s::bigint + %(row_count)s::bigint - 1) as n;
