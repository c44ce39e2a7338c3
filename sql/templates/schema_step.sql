-- Applies one versioned schema step unless supabase_sync.schema_step records it.
-- The guard lives in SQL so a migration file replayed by psql or the Supabase
-- CLI skips steps that already ran. Placeholders: {step} (literal), {step_sql}
-- (the step file, dollar-quoted).
do $supabase_sync$
begin
    if not exists (select from supabase_sync.schema_step where step = {step}) then
        execute {step_sql};
        insert into supabase_sync.schema_step (step) values ({step});
    end if;
end
$supabase_sync$;
