-- supabase-sync pack, schema step 0008 (pack 3): the push reads a row's id from
-- the key named by the table's id column (issue 9): the helpers that merged and
-- canonicalised ids by the key "id" take the id column now; their old
-- signatures go (the function files create the new ones).
drop function if exists supabase_sync.merge_push_rows(jsonb);
drop function if exists supabase_sync.canonical_push_ids(jsonb, text);
