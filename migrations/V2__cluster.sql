-- pgjobs schema, version 2: the cluster. Which node leads (holds the leader advisory lock on its dedicated
-- connection) and since when, so operators and the dashboard can see it. The lock itself lives in PostgreSQL's
-- lock manager; this column only reports it, written by the leader and cleared when it stops or is replaced.
alter table nodes add column leader_since timestamptz;
