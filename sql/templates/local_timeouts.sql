-- The lock and statement timeouts of a short DDL transaction: they end with it.
-- Placeholders: {lock_timeout}, {statement_timeout} (text literals, e.g. '5s').
set local lock_timeout = {lock_timeout};
set local statement_timeout = {statement_timeout};
