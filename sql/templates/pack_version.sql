-- Records the installed SQL pack version; a no-op when it is already current.
-- Placeholder: {version} (literal).
insert into supabase_sync.meta (key, value) values ('pack_version', {version})
on conflict (key) do update
    set value = excluded.value
    where meta.value is distinct from excluded.value;
