-- Drops the compiled functions (schema step 0011) rendered from other templates
-- than this pack's: deleting the row drops the function (its trigger), and the
-- table takes the generic path until enable or install compiles it again.
-- Placeholder: {template_digest} (literal).
delete from supabase_sync.compiled_function
where template_digest <> {template_digest};
