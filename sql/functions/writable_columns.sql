-- The columns of a synced table a push may write, in table order: every real
-- column except the owner column (sync_push forces it to auth.uid()), the
-- server-maintained ones (set by supabase_sync.stamp_row), generated columns
-- and GENERATED ALWAYS identities. Names come from pg_attribute only, so a key
-- sent by a client is never put into SQL text: it either equals one of these
-- names or is ignored. `default_expr` is what an INSERT uses when the key is absent.
create or replace function supabase_sync.writable_columns(target regclass)
returns table (column_name name, column_type text, default_expr text)
language sql
stable
security invoker
set search_path = ''
as $$
    select
        a.attname,
        pg_catalog.format_type(a.atttypid, a.atttypmod),
        case
            when a.attidentity = 'd' then pg_catalog.format(
                'pg_catalog.nextval(%L::regclass)',
                pg_catalog.pg_get_serial_sequence(target::text, a.attname)
            )
            else pg_catalog.pg_get_expr(d.adbin, d.adrelid)
        end
    from pg_catalog.pg_attribute as a
    inner join supabase_sync.synced_table as st on a.attrelid = st.relid
    left join pg_catalog.pg_attrdef as d on a.attrelid = d.adrelid and a.attnum = d.adnum
    where
        a.attrelid = target
        and a.attnum > 0
        and not a.attisdropped
        and a.attgenerated = ''
        and a.attidentity <> 'a'
        and a.attname <> st.owner_column
        and a.attname not in (
            'server_created_at', 'server_updated_at', 'server_version', 'server_created_version', 'instance_id'
        )
    order by a.attnum;
$$;

revoke all on function supabase_sync.writable_columns(regclass) from public, anon;
grant execute on function supabase_sync.writable_columns(regclass) to authenticated;

comment on function supabase_sync.writable_columns(regclass) is
'supabase-sync: columns of a synced table a push may write (owner and server-maintained columns excluded).';
