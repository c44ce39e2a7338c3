-- Reports a row moved to another owner as deleted to its former owner.
-- Placeholders: {table}, {owner_column} (identifiers).
create or replace trigger supabase_sync_transfer
after update of {owner_column} on {table}
for each row
when (old.{owner_column} is distinct from new.{owner_column})
execute function supabase_sync.record_transfer();
