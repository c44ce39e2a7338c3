-- Creates a private Supabase Storage bucket unless one with that id exists
-- (a bucket is a row of storage.buckets; its id is its name).
-- Placeholders: {bucket} (literal).
insert into storage.buckets (id, name, public)
values ({bucket}, {bucket}, false)
on conflict (id) do nothing;
