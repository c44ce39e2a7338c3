-- TRUNCATE bypasses row level security and empties the table for every user
-- (clients then resync): the API roles never need it. Placeholder: {table}.
revoke truncate on table {table} from anon, authenticated;
