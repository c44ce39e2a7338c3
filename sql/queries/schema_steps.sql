-- Schema steps already applied, in order.
select step
from supabase_sync.schema_step
order by step;
