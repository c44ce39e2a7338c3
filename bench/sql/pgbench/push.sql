-- pgbench, 16 pushers: sync_push of 10 new rows with the client's cursor (so the
-- per-row conflict checks run) and its device id. Prefixed by request.sql.
select public.sync_push(
    changes => jsonb_build_object(
        'public.bench_task', jsonb_build_object(
            'created', (
                select jsonb_agg(jsonb_build_object(
                    'id', gen_random_uuid(), 'title', 'load ' || n, 'notes', 'pushed by pgbench',
                    'priority', n % 5, 'done', false, 'created_at', now(), 'updated_at', now()
                ))
                from generate_series(1, 10) as n
            ),
            'updated', '[]'::jsonb,
            'deleted', '[]'::jsonb
        )
    ),
    last_pulled_at => c.cursor,
    client_id => c.device
)
from bench_load.client as c
where c.number = :client_id + 1;
commit;
