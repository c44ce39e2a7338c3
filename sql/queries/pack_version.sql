-- The installed pack version (null before the first complete install) and the
-- pack-wide big-numbers choice (null before schema step 0005).
select
    (
        select m.value
        from supabase_sync.meta as m
        where m.key = 'pack_version'
    ) as value,
    (
        select m.value
        from supabase_sync.meta as m
        where m.key = 'big_numbers'
    ) as big_numbers;
