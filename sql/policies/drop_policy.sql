-- Drops a policy (before enable re-creates a contract policy whose predicate is
-- not the owner's). Placeholders: {policy_name}, {table} (identifiers).
drop policy if exists {policy_name} on {table};
