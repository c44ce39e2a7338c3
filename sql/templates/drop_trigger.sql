-- Removes one supabase-sync trigger. Placeholders: {trigger}, {table} (identifiers).
drop trigger if exists {trigger} on {table};
