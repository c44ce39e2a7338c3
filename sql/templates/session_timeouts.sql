-- The lock and statement timeouts of a step run outside a transaction (a
-- concurrent index build): session settings, reset by reset_timeouts.
-- Placeholders: {lock_timeout}, {statement_timeout} (text literals, e.g. '5s').
set lock_timeout = {lock_timeout};
set statement_timeout = {statement_timeout};
