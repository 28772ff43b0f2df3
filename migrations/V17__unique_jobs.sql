-- pgjobs schema, version 17: jobs unique by kind, queue and args, within a period and while in chosen states
-- (io.pgjobs.Uniqueness; docs/flow-control.md#uniqueness).
--
-- A unique job carries its key (kind, queue and a digest of the args that count, with the number of its period
-- when it has one) and the states in which it holds the key. The index is partial on "the job is in one of its
-- own states": a job enters it when it is inserted and leaves it by itself when an update moves it to a state
-- outside its list (nothing has to clear the key), so at most one job holds a key at a time, whatever the route
-- (insert, batch, several transactions racing: they wait on each other's speculative insertion). Every list
-- contains the unfinished states (the client insists), so a job keeps its key from enqueue until it finishes,
-- and only an operator's retry of a finished job can bring a key back, which then fails if another job holds it.
-- Jobs without a key are in no index entry, and cost each insert and state change one predicate evaluation.
alter table jobs add column unique_key text check (length(unique_key) <= 500),
                 add column unique_states text[];
create unique index jobs_unique_key on jobs (unique_key) where state = any(unique_states);
