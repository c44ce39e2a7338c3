-- Records a schema step that is idempotent by itself (the bootstrap).
-- Placeholder: {step} (literal).
insert into supabase_sync.schema_step (step) values ({step})
on conflict (step) do nothing;
