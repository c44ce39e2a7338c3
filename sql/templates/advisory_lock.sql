-- Serialises every supabase-sync DDL plan (install, enable, disable, uninstall)
-- for the rest of the transaction. The key spells "SUPASYNC" in ASCII.
select pg_catalog.pg_advisory_xact_lock(6004515264418582083);
