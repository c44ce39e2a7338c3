-- Records a compiled function of a synced table just created (schema step
-- 0011, supabase_sync.compiled), with the table's fingerprint now.
-- Placeholders: {table_name}, {purpose}, {function_text}, {arguments_text},
-- {template_digest} (literals: the function's name and its argument list).
select supabase_sync.record_compiled_function(
    {table_name}::regclass,
    {purpose},
    (
        {function_text}
        || {arguments_text}
    )::regprocedure,
    {template_digest}
);
