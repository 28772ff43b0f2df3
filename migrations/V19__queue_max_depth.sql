-- pgjobs schema, version 19: a queue's maximum depth (backpressure at enqueue; docs/flow-control.md#backpressure).
--
-- Declared on the builder of the nodes that work the queue and written here at their start, so that every
-- client, including those of applications that only enqueue, reads it from the database. Null: no maximum.
alter table queues add column max_depth int check (max_depth > 0);
