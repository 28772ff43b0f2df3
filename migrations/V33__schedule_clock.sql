-- pgjobs schema, version 33: the clock of cron schedules, in one function. Additive: one function, no table
-- changes; nodes of the previous version read now() directly and keep working.
--
-- Everything pgjobs does with schedules reads the time through schedule_clock(): the firer's "is it due", the
-- next fire time computed when a schedule is declared, resumed or listed, the time of a manual trigger. Here it
-- is the database's now(), and in production it stays so: nothing in pgjobs changes it.
--
-- A test moves it: pgjobs-test (PgJobsTestKit.advanceTime, docs/testing.md) replaces this function in the test's
-- own database with one that answers now() plus the time advanced, so that schedules fire as if that time had
-- passed, each fire time on time, without a clock in the JVM or a branch for tests in the SQL that runs in
-- production. The firer enqueues a fire time's job due at the fire time less that offset (the jobs' due times
-- are on now()'s clock), which is the fire time itself when the function is this one.
create function schedule_clock()
returns timestamptz
language sql
stable
parallel safe
as $$
    select now()
$$;
