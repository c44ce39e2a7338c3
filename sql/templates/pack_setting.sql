-- Sets a pack-wide setting in supabase_sync.meta (install --big-numbers); a
-- no-op when it already holds the value. Placeholders: {key}, {value} (literals).
insert into supabase_sync.meta (key, value) values ({key}, {value})
on conflict (key) do update
    set value = excluded.value
    where meta.value is distinct from excluded.value;
