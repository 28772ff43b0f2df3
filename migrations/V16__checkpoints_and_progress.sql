-- pgjobs schema, version 16: a running job's checkpoint and progress (docs/flow-control.md#checkpoints-and-progress).
--
-- A handler saves a checkpoint (any JSON its serializer writes) and its progress (a percentage and a message)
-- while it runs; each save is one UPDATE of its own row, guarded like a completion (still running, same node,
-- same attempt). They live in the job's row, not a table of their own: the next attempt reads the checkpoint by
-- the job's id, the job's page reads it with the rest of the job, and retention and delete take it with the
-- row. None of the columns is indexed, so a save is a HOT update that touches no index; jobs that never save
-- pay nothing but three null columns.
alter table jobs add column checkpoint jsonb,
                 add column progress smallint check (progress between 0 and 100),
                 add column progress_message text check (length(progress_message) <= 1000);
