-- Projects of the sharing benchmark: project k (0-based) has the stable id
-- md5('bench-project-' || k)::uuid and belongs to users[1 + k mod cardinality].
-- Parameters (psycopg): users uuid[], projects bigint. Modulo is doubled for psycopg.
insert into public.bench_project (id, user_id, name)
select
    md5('bench-project-' || k)::uuid,
    (%(users)s::uuid [])[1 + (k %% cardinality(%(users)s::uuid []))],
    'project ' || k
from generate_series(0, %(projects)s::bigint - 1) as k;
