-- Tasks of the sharing benchmark, spread round-robin over the projects, each
-- written by its project's owner, with the columns and values of
-- bench/sql/load_rows.sql. Parameters (psycopg): users uuid[], projects bigint,
-- first bigint, row_count bigint. Modulo is doubled for psycopg.
insert into public.bench_shared_task (
    user_id, project_id, title, notes, priority, done, created_at, updated_at
)
select
    (%(users)s::uuid [])[1 + ((n %% %(projects)s::bigint) %% cardinality(%(users)s::uuid []))],
    md5('bench-project-' || (n %% %(projects)s::bigint))::uuid,
    'task ' || n,
    'notes ' || md5(n::text) || ' ' || md5((n + 1)::text),
    (n %% 5)::integer,
    n %% 3 = 0,
    now() - make_interval(secs => n),
    now() - make_interval(secs => n / 2)
from generate_series(%(first)s::bigint, %(first)s::bigint + %(row_count)s::bigint - 1) as n;
