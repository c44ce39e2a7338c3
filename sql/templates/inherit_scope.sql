-- Gives a table below a scoped table its own scope column, kept equal to its
-- parent's: the column (with its foreign key to the scope table), the values
-- of existing rows, the trigger copying the parent's value on write, and the
-- parent's trigger moving the children with it. Idempotent. Placeholders:
-- {table}, {parent}, {scope_table}, {scope_column}, {fk_column}, {parent_key},
-- {parent_scope_column}, {children_trigger} (identifiers), {scope_id_type} (a
-- type), {table_name}, {parent_name}, {parent_key_name}, {fk_column_name},
-- {scope_column_name}, {parent_scope_column_name} (literals).
alter table {table}
add column if not exists {scope_column} {scope_id_type} references {scope_table} on delete cascade;

update {table} as c
set {scope_column} = p.{parent_scope_column}
from {parent} as p
where p.{parent_key} = c.{fk_column} and c.{scope_column} is distinct from p.{parent_scope_column};

create or replace trigger supabase_sync_inherit_scope
before insert or update of {fk_column}, {scope_column} on {table}
for each row execute function supabase_sync.inherit_scope(
    {parent_name}, {parent_key_name}, {fk_column_name}, {scope_column_name}, {parent_scope_column_name}
);

create or replace trigger {children_trigger}
after update of {parent_scope_column} on {parent}
for each row
when (old.{parent_scope_column} is distinct from new.{parent_scope_column})
execute function supabase_sync.move_scope_children(
    {table_name}, {fk_column_name}, {scope_column_name}, {parent_key_name}, {parent_scope_column_name}
);
