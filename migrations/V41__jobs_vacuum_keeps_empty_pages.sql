-- pgjobs schema, version 41: a vacuum of the jobs table no longer gives its empty pages at the end back to the
-- operating system (docs/performance.md, "the steady state's vacuum").
--
-- The table churns: retention deletes the oldest jobs, vacuum records their space as free, and new jobs go into
-- that space, so the last pages of the table empty out while the first fill up again. A vacuum that finds empty
-- pages at the end truncates them, and to do so takes an ACCESS EXCLUSIVE lock on the table: every enqueue, claim
-- and completion waits until it is released, and the next jobs then extend the table again, page by page. The
-- leader's vacuum and autovacuum both leave the pages in place now; the table stays at the size its busiest
-- minutes gave it, as its indexes do anyway.
--
-- Setting a storage parameter takes a SHARE UPDATE EXCLUSIVE lock, which no enqueue, claim or completion waits
-- for (unlike the locks the rules' 5 s timeout is for), but which waits for a vacuum of the table to end: on a busy
-- cluster the leader vacuums the table almost back to back, so the timeout is long enough to get in between two
-- runs rather than fail the deploy.
set local lock_timeout = '1min';
alter table jobs set (vacuum_truncate = false);
