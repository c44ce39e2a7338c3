-- Drops one function of the pack. Placeholder: {function} (a regprocedure literal).
drop function if exists {function};
