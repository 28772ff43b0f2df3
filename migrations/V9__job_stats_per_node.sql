-- pgjobs schema, version 9: per-minute statistics kept per node.
--
-- Every completion statement adds its counts to the row of its minute, queue, kind and state (V4). With one
-- such row shared by every node, the completers of different nodes waited on each other's row lock until commit:
-- in a drain with four nodes, about one in eight samples of an active completion was that wait. With the node in
-- the key, each node's completer has rows of its own; readers sum over nodes as they already sum over minutes.
alter table job_stats add column node_id text not null default '';
alter table job_stats drop constraint job_stats_pkey;
alter table job_stats add primary key (minute, queue, kind, state, node_id);
