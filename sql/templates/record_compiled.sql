-- Records a compiled function of a synced table just created (schema step
-- 0011, supabase_sync.compiled), with the table's fingerprint now.
-- Placeholders: {table_name}, {purpose}, {signature}, {template_digest} (literals).
select supabase_sync.record_compiled_function(
    {table_name}::regclass, {purpose}, {signature}::regprocedure, {template_digest}
);
