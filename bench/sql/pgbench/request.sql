-- pgbench: the start of every transaction, on both sides of a comparison: a
-- PostgREST-like request as the client's user (role authenticated, JWT claims,
-- search path). pgbench's :client_id (from 0) picks the client's user in bench_load.client.
begin;
select
    set_config('search_path', 'public', true),
    set_config('role', 'authenticated', true),
    set_config('request.jwt.claims', c.claims, true)
from bench_load.client as c
where c.number = :client_id + 1;
