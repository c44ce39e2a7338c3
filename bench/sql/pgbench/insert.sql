-- pgbench, the push reference: a bare insert of 10 rows of the same shape,
-- built the same way, into the same table as the same user. Prefixed by request.sql.
insert into public.bench_task (id, user_id, title, notes, priority, done, created_at, updated_at)
select r.id, r.user_id, r.title, r.notes, r.priority, r.done, r.created_at, r.updated_at
from jsonb_populate_recordset(
    null::public.bench_task,
    (
        select jsonb_agg(jsonb_build_object(
            'id', gen_random_uuid(), 'user_id', auth.uid(), 'title', 'load ' || n, 'notes', 'inserted by pgbench',
            'priority', n % 5, 'done', false, 'created_at', now(), 'updated_at', now()
        ))
        from generate_series(1, 10) as n
    )
) as r;
commit;
