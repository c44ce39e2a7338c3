-- Back to the session's own lock and statement timeouts after the concurrent index builds.
reset lock_timeout;
reset statement_timeout;
