-- Records rows of a scoped table moved to another scope row. Fires only when the
-- scope column changes. Placeholders: {table}, {scope_column} (identifiers),
-- {scope_name}, {scope_column_name}, {id_column_name} (literals).
create or replace trigger supabase_sync_scope_move
after update of {scope_column} on {table}
for each row
when (old.{scope_column} is distinct from new.{scope_column})
execute function supabase_sync.record_scope_move({scope_name}, {scope_column_name}, {id_column_name});
